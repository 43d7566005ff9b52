package casework

import (
	"encoding/hex"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Category is a crime category of the taxonomy: the priority cyber-enabled
// crimes of the dialogue, then hacking, ransomware, fraud and other.
type Category string

// The taxonomy.
const (
	IPTheft    Category = "ip_theft"  // cyber-enabled IP theft for commercial gain
	CSAM       Category = "csam"      // online child sexual abuse material
	Terrorism  Category = "terrorism" // terrorist misuse of technology
	BEC        Category = "bec"       // business e-mail compromise / phishing
	Firearms   Category = "firearms"  // online firearms trafficking
	Hacking    Category = "hacking"   // hacking / intrusion
	Ransomware Category = "ransomware"
	Fraud      Category = "fraud" // online fraud
	Other      Category = "other"
)

// Categories lists the taxonomy with its titles.
var Categories = []struct {
	Code  Category `json:"code"`
	Title string   `json:"title"`
}{
	{IPTheft, "Cyber-enabled IP theft for commercial gain"},
	{CSAM, "Online child sexual abuse material"},
	{Terrorism, "Terrorist misuse of technology"},
	{BEC, "Business e-mail compromise / phishing"},
	{Firearms, "Online firearms trafficking"},
	{Hacking, "Hacking / intrusion"},
	{Ransomware, "Ransomware"},
	{Fraud, "Online fraud"},
	{Other, "Other"},
}

// ValidCategory reports whether c is in the taxonomy.
func ValidCategory(c Category) bool {
	return slices.ContainsFunc(Categories, func(x struct {
		Code  Category `json:"code"`
		Title string   `json:"title"`
	}) bool {
		return x.Code == c
	})
}

// Status of a case.
type Status string

// Statuses.
const (
	Open      Status = "open"
	Suspended Status = "suspended"
	Closed    Status = "closed"
)

// Handling conditions (law-enforcement practice; Budapest Art. 28).
const (
	PurposeOnly        = "purpose_only"
	NoJudicialUse      = "no_judicial_use_without_permission"
	NoOnwardSharing    = "no_onward_sharing_without_permission"
	otherConditionPref = "other: "
)

// Handling is what travels with every piece of shared information: its
// TLP, its handling conditions and its evaluation (Admiralty code).
type Handling struct {
	TLP string `json:"tlp"`
	// Conditions are PurposeOnly, NoJudicialUse, NoOnwardSharing and
	// free-text restrictions written "other: ...".
	Conditions []string `json:"conditions"`
	// Purpose is the stated purpose (required with PurposeOnly).
	Purpose string `json:"purpose,omitempty"`
	// Source is the source's reliability, A (reliable) to F (cannot be
	// judged); Credibility the information's, 1 (confirmed) to 6.
	Source      string `json:"source"`
	Credibility int    `json:"credibility"`
}

func (h *Handling) level() marking.TLP {
	t, err := marking.ParseTLP(h.TLP)
	if err != nil {
		return marking.Red
	}
	return t
}

// NoOnward reports whether the conditions forbid onward sharing.
func (h *Handling) NoOnward() bool { return slices.Contains(h.Conditions, NoOnwardSharing) }

func (h *Handling) validate(errs *validation.Errors, field string) {
	t, err := marking.ParseTLP(h.TLP)
	if err != nil {
		errs.Add(field+".tlp", "must be a TLP 2.0 level: CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
	} else {
		h.TLP = t.String()
	}
	seen := map[string]bool{}
	for i, c := range h.Conditions {
		f := field + ".conditions[" + strconv.Itoa(i) + "]"
		switch {
		case c == PurposeOnly || c == NoJudicialUse || c == NoOnwardSharing:
		case strings.HasPrefix(c, otherConditionPref) && len(strings.TrimSpace(c)) > len(otherConditionPref) && len(c) <= 500:
		default:
			errs.Add(f, "must be purpose_only, no_judicial_use_without_permission, no_onward_sharing_without_permission or \"other: ...\"")
		}
		if seen[c] {
			errs.Add(f, "is given twice")
		}
		seen[c] = true
	}
	if len(h.Conditions) > 10 {
		errs.Add(field+".conditions", "at most 10")
	}
	if h.Conditions == nil {
		h.Conditions = []string{}
	}
	if seen[PurposeOnly] && strings.TrimSpace(h.Purpose) == "" {
		errs.Add(field+".purpose", "is required with purpose_only")
	}
	errs.MaxLen(field+".purpose", h.Purpose, 1000)
	if len(h.Source) != 1 || h.Source[0] < 'A' || h.Source[0] > 'F' {
		errs.Add(field+".source", "must be the source reliability A-F (Admiralty code)")
	}
	if h.Credibility < 1 || h.Credibility > 6 {
		errs.Add(field+".credibility", "must be the information credibility 1-6 (Admiralty code)")
	}
}

// ItemKind is what a case item is.
type ItemKind string

// Item kinds. The correlatable ones are indexed by normalised value.
const (
	Note       ItemKind = "note"
	Indicator  ItemKind = "indicator" // an IP, domain or URL
	Account    ItemKind = "account"   // a bank account (IBAN or bank:number)
	Wallet     ItemKind = "wallet"    // a cryptocurrency wallet
	EmailAddr  ItemKind = "email"
	Hash       ItemKind = "hash" // MD5, SHA-1, SHA-256 or PhotoDNA
	Grading    ItemKind = "grading"
	Reference  ItemKind = "reference" // an id in an international database (ICSE, NCMEC...)
	RequestRef ItemKind = "request"   // a request for assistance
	IntelRef   ItemKind = "intel"     // a STIX object id
	SampleRef  ItemKind = "sample"    // a malware sample's SHA-256
	LeadRef    ItemKind = "lead"
	Attachment ItemKind = "attachment"
)

var itemKinds = []ItemKind{Note, Indicator, Account, Wallet, EmailAddr, Hash, Grading, Reference, RequestRef, IntelRef, SampleRef, LeadRef, Attachment}

// csamKinds are the items a CSAM case accepts: hashes, grading and
// reference ids, notes and links — never media.
var csamKinds = []ItemKind{Note, Hash, Grading, Reference, RequestRef, IntelRef, LeadRef}

// Hash algorithms.
var hashAlgos = map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "photodna": 0}

// Item is one piece of shared information in a case.
type Item struct {
	ID   string   `json:"id"`
	Kind ItemKind `json:"kind"`
	// Value is the item's key value (normalised on validation): the
	// indicator, account, wallet, address, hash, grading, reference or
	// linked id.
	Value string `json:"value,omitempty"`
	// Algo names a hash's algorithm (md5, sha1, sha256, photodna).
	Algo string `json:"algo,omitempty"`
	Text string `json:"text,omitempty"`
	// Originator is the party the information comes from: the author, or
	// the sender of the lead it was taken from. Only it may permit onward
	// sharing.
	Originator string `json:"originator"`
	// Recipients are the parties it was shared with (the participants when
	// it was added); anyone else is a third party.
	Recipients []string `json:"recipients"`
	Handling   Handling `json:"handling"`
	// Attachment describes the file of an Attachment item.
	File *FileRef `json:"file,omitempty"`
}

// FileRef describes a file travelling with an item.
type FileRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

var (
	partyRE  = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,15}$`)
	idRE     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	walletRE = regexp.MustCompile(`^[A-Za-z0-9]{20,100}$`)
	ibanRE   = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$`)
	gradeRE  = regexp.MustCompile(`^[A-Za-z0-9 ._:/-]{1,100}$`)
	phdnaRE  = regexp.MustCompile(`^[A-Za-z0-9+/=,]{16,1000}$`)
	agencyRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,31}$`)
)

// validate checks an item and normalises its value. csam restricts the
// kinds.
func (it *Item) validate(errs *validation.Errors, field string, category Category) {
	if !slices.Contains(itemKinds, it.Kind) {
		errs.Add(field+".kind", "unknown item kind")
		return
	}
	if category == CSAM && !slices.Contains(csamKinds, it.Kind) {
		errs.Add(field+".kind", "a CSAM case accepts hashes (MD5, SHA-1, SHA-256, PhotoDNA), grading and reference ids only — never media")
	}
	v := strings.TrimSpace(it.Value)
	switch it.Kind {
	case Note:
		if strings.TrimSpace(it.Text) == "" {
			errs.Add(field+".text", "is required")
		}
	case Indicator:
		v = strings.ToLower(strings.TrimSuffix(v, "."))
		if v == "" || len(v) > 2000 || strings.ContainsAny(v, " \t\n") {
			errs.Add(field+".value", "must be an IP address, domain or URL")
		}
	case Account:
		v = strings.ToUpper(strings.ReplaceAll(v, " ", ""))
		if !ibanRE.MatchString(v) && !regexp.MustCompile(`^[A-Z0-9.-]{2,40}:[A-Z0-9-]{4,40}$`).MatchString(v) {
			errs.Add(field+".value", "must be an IBAN or BANK:NUMBER (SWIFT/BIC or routing code, colon, account number)")
		}
	case Wallet:
		if !walletRE.MatchString(v) {
			errs.Add(field+".value", "must be a cryptocurrency address (20-100 letters and digits)")
		}
		if strings.HasPrefix(strings.ToLower(v), "bc1") || strings.HasPrefix(v, "0x") || strings.HasPrefix(v, "0X") {
			v = strings.ToLower(v) // bech32 and hex addresses are case-insensitive
		}
	case EmailAddr:
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v {
			errs.Add(field+".value", "must be a plain e-mail address")
		}
		v = strings.ToLower(v)
	case Hash:
		it.Algo = strings.ToLower(strings.ReplaceAll(it.Algo, "-", ""))
		n, ok := hashAlgos[it.Algo]
		switch {
		case !ok:
			errs.Add(field+".algo", "must be md5, sha1, sha256 or photodna")
		case n > 0:
			v = strings.ToLower(v)
			if _, err := hex.DecodeString(v); err != nil || len(v) != n {
				errs.Add(field+".value", "must be "+strconv.Itoa(n)+" hex digits for "+it.Algo)
			}
		default:
			if !phdnaRE.MatchString(v) {
				errs.Add(field+".value", "must be a PhotoDNA hash string (16-1000 base64 characters or comma-separated numbers)")
			}
		}
	case Grading, Reference:
		if !gradeRE.MatchString(v) {
			errs.Add(field+".value", "must be 1-100 letters, digits, spaces or . _ : / -")
		}
	case RequestRef, LeadRef:
		if !idRE.MatchString(v) {
			errs.Add(field+".value", "must be the 32-hex-digit id")
		}
	case IntelRef:
		if len(v) < 5 || len(v) > 200 || !strings.Contains(v, "--") {
			errs.Add(field+".value", "must be a STIX identifier (type--uuid)")
		}
	case SampleRef:
		v = strings.ToLower(v)
		if _, err := hex.DecodeString(v); err != nil || len(v) != 64 {
			errs.Add(field+".value", "must be the sample's SHA-256")
		}
	case Attachment:
		if it.File == nil {
			errs.Add(field+".file", "is required")
		}
	}
	if it.Kind != Hash {
		it.Algo = ""
	}
	if it.Kind != Attachment && it.File != nil {
		errs.Add(field+".file", "only attachment items carry a file")
	}
	it.Value = v
	errs.MaxLen(field+".text", it.Text, 20000)
	it.Handling.validate(errs, field+".handling")
}

// key returns the item's correlation key, if it has one.
func (it *Item) key() (kind, value string, ok bool) {
	switch it.Kind {
	case Indicator, Account, Wallet, EmailAddr:
		return string(it.Kind), it.Value, it.Value != ""
	case Hash:
		return "hash:" + it.Algo, it.Value, it.Value != ""
	}
	return "", "", false
}

// Task is an action in a case, owned by one party and visible to the
// parties it concerns.
type Task struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Owner is the party that does it; OwnerUser optionally names the
	// officer.
	Owner     string    `json:"owner"`
	OwnerUser string    `json:"owner_user,omitempty"`
	Due       time.Time `json:"due,omitzero"`
	Status    string    `json:"status"`
	// Concerns are the parties that see the task (always with the owner).
	Concerns []string `json:"concerns"`
	Note     string   `json:"note,omitempty"`
}

// Task statuses.
var TaskStatuses = []string{"todo", "doing", "done", "blocked", "cancelled"}

func (t *Task) validate(errs *validation.Errors, field string) {
	errs.Required(field+".title", t.Title, 300)
	if !partyRE.MatchString(t.Owner) {
		errs.Add(field+".owner", "must be a party code")
	}
	errs.MaxLen(field+".owner_user", t.OwnerUser, 200)
	if t.Status == "" {
		t.Status = "todo"
	}
	if !slices.Contains(TaskStatuses, t.Status) {
		errs.Add(field+".status", "must be one of "+strings.Join(TaskStatuses, ", "))
	}
	for i, p := range t.Concerns {
		if !partyRE.MatchString(p) {
			errs.Add(field+".concerns["+strconv.Itoa(i)+"]", "must be a party code")
		}
	}
	if !slices.Contains(t.Concerns, t.Owner) {
		t.Concerns = append(t.Concerns, t.Owner)
	}
	slices.Sort(t.Concerns)
	t.Concerns = slices.Compact(t.Concerns)
	errs.MaxLen(field+".note", t.Note, 4000)
}

// Hop is one account of a money trail.
type Hop struct {
	// Role is originating, intermediary or beneficiary.
	Role    string `json:"role"`
	Bank    string `json:"bank"`
	Account string `json:"account,omitempty"`
	Holder  string `json:"holder,omitempty"`
	// Party is where the account is held.
	Party    string    `json:"party,omitempty"`
	Amount   string    `json:"amount,omitempty"`
	Currency string    `json:"currency,omitempty"`
	At       time.Time `json:"at,omitzero"`
}

// PartyInfo is what each participating party says of its own side.
type PartyInfo struct {
	Party string `json:"party"`
	// CaseNumber is the party's own case number.
	CaseNumber  string   `json:"case_number,omitempty"`
	LeadOfficer string   `json:"lead_officer,omitempty"`
	Agencies    []string `json:"agencies"`
}

func (pi *PartyInfo) validate(errs *validation.Errors, field string) {
	if !partyRE.MatchString(pi.Party) {
		errs.Add(field+".party", "must be a party code")
	}
	errs.MaxLen(field+".case_number", pi.CaseNumber, 100)
	errs.MaxLen(field+".lead_officer", pi.LeadOfficer, 200)
	if pi.Agencies == nil {
		pi.Agencies = []string{}
	}
	for i, a := range pi.Agencies {
		if !agencyRE.MatchString(a) {
			errs.Add(field+".agencies["+strconv.Itoa(i)+"]", "must be an agency code")
		}
	}
}
