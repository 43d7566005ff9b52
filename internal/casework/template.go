package casework

import "time"

// TaskTemplate is a task a new case of a category starts with.
type TaskTemplate struct {
	Title string `json:"title"`
	// Owner is "origin" (the opening party), "counterpart" (the party
	// holding the accounts or data: the BEC beneficiary's party, else the
	// first other participant) or "all" (one task per participant).
	Owner string        `json:"owner"`
	Due   time.Duration `json:"due"`
}

// Templates are the task lists per category (Liaison defaults, drawn from
// the FBI Financial Fraud Kill Chain for BEC and from hotline practice
// for CSAM).
var Templates = map[Category][]TaskTemplate{
	BEC: {
		{"Contact the beneficiary bank and ask it to freeze the funds", "counterpart", 4 * time.Hour},
		{"Request a recall of the wire through the originating bank", "origin", 4 * time.Hour},
		{"Preserve the compromised e-mail account and its logs", "origin", 24 * time.Hour},
		{"Identify the mule accounts the funds moved to", "counterpart", 48 * time.Hour},
		{"Report the recall outcome within the 72-hour window", "all", 72 * time.Hour},
	},
	CSAM: {
		{"Check the hashes against the national and ICSE reference databases", "all", 24 * time.Hour},
		{"Grade the material (category) on each side", "all", 48 * time.Hour},
		{"Identify and safeguard the victim", "origin", 24 * time.Hour},
		{"Preserve the offender's accounts at the service providers", "counterpart", 24 * time.Hour},
	},
	Ransomware: {
		{"Collect indicators and the ransom note; share the decryptor status", "origin", 24 * time.Hour},
		{"Trace the ransom wallets", "all", 72 * time.Hour},
		{"Preserve logs at the hosting providers", "counterpart", 24 * time.Hour},
	},
	IPTheft: {
		{"Identify the exfiltration infrastructure", "all", 7 * 24 * time.Hour},
		{"Preserve the accounts used to receive the stolen data", "counterpart", 48 * time.Hour},
	},
	Terrorism: {
		{"Assess the imminence of the threat", "origin", 2 * time.Hour},
		{"Request emergency disclosure from the providers", "counterpart", 8 * time.Hour},
	},
	Firearms: {
		{"Identify the marketplace accounts and shipping routes", "all", 7 * 24 * time.Hour},
		{"Preserve the marketplace and payment records", "counterpart", 48 * time.Hour},
	},
	Hacking: {
		{"Share the intrusion indicators", "origin", 24 * time.Hour},
		{"Preserve the logs of the attacking infrastructure", "counterpart", 24 * time.Hour},
	},
	Fraud: {
		{"Trace the payment flow", "all", 72 * time.Hour},
		{"Preserve the fraudulent accounts", "counterpart", 48 * time.Hour},
	},
}

// tasksFor instantiates the template of a category for a case opened by
// origin with the participants, counterpart naming who holds the accounts.
func tasksFor(cat Category, origin, counterpart string, parties []string, start time.Time, newID func() string) []Task {
	var out []Task
	if counterpart == "" {
		for _, p := range parties {
			if p != origin {
				counterpart = p
				break
			}
		}
		if counterpart == "" {
			counterpart = origin
		}
	}
	for _, tt := range Templates[cat] {
		owners := []string{origin}
		switch tt.Owner {
		case "counterpart":
			owners = []string{counterpart}
		case "all":
			owners = parties
		}
		for _, o := range owners {
			t := Task{ID: newID(), Title: tt.Title, Owner: o, Due: start.Add(tt.Due), Status: "todo", Concerns: []string{origin, o}}
			out = append(out, t)
		}
	}
	return out
}
