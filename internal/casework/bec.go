package casework

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/validation"
)

// BECReport is a business e-mail compromise report with the fields of the
// FBI Financial Fraud Kill Chain: who was defrauded, the transfer, and the
// accounts the money went through.
type BECReport struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	// BeneficiaryParty holds the beneficiary account: the recall request
	// goes there, and it joins the case.
	BeneficiaryParty        string    `json:"beneficiary_party"`
	Victim                  string    `json:"victim"`
	VictimLocation          string    `json:"victim_location"`
	OriginatingBank         string    `json:"originating_bank"`
	OriginatingAccount      string    `json:"originating_account"`
	IntermediaryBank        string    `json:"intermediary_bank,omitempty"`
	IntermediaryAccount     string    `json:"intermediary_account,omitempty"`
	BeneficiaryName         string    `json:"beneficiary_name"`
	BeneficiaryBank         string    `json:"beneficiary_bank"`
	BeneficiaryAccount      string    `json:"beneficiary_account"`
	BeneficiaryBankLocation string    `json:"beneficiary_bank_location"`
	SwiftReference          string    `json:"swift_reference"`
	Amount                  string    `json:"amount"`
	Currency                string    `json:"currency"`
	TransferTime            time.Time `json:"transfer_time"`
	EmailHeaders            string    `json:"email_headers,omitempty"`
	// FraudEmails are the addresses the fraudster wrote from.
	FraudEmails []string `json:"fraud_emails,omitempty"`
	// The requesting side of the recall request.
	RequestingAuthority string   `json:"requesting_authority"`
	RequestingOfficer   string   `json:"requesting_officer"`
	RequestingEmail     string   `json:"requesting_email"`
	TimeZone            string   `json:"time_zone"`
	LegalBasis          string   `json:"legal_basis"`
	Offences            []string `json:"offences"`
	CaseNumber          string   `json:"case_number,omitempty"`
	Handling            Handling `json:"handling"`
	Exercise            bool     `json:"exercise,omitempty"`
}

// BECResult is what the action plan made.
type BECResult struct {
	Case    View         `json:"case"`
	Request request.View `json:"request"`
}

// ReportBEC runs the BEC action plan: it opens a joint case with the party
// holding the beneficiary account (money trail, accounts and addresses as
// correlatable items, the BEC task template, the 72-hour recall window
// from the transfer time), then creates and sends the emergency wire-recall
// request to that party through the request service and links it to the
// case. The request is validated before anything is stored; the case, the
// request and the link are three transactions, in that order, so a failure
// after the first leaves a case without its request, which the officer
// sees and can retry — never a request without its case.
func (s *Service) ReportBEC(ctx context.Context, p *auth.Principal, r BECReport) (BECResult, error) {
	if !p.Can(auth.CaseWrite) {
		return BECResult{}, ErrForbidden
	}
	if s.Requests == nil {
		return BECResult{}, fmt.Errorf("casework: no request service")
	}
	fields := map[string]any{
		"requesting_authority": r.RequestingAuthority, "requesting_officer": r.RequestingOfficer, "requesting_email": r.RequestingEmail,
		"time_zone": r.TimeZone, "legal_basis": r.LegalBasis, "offences": anyList(r.Offences), "summary": r.Summary,
		"victim": r.Victim, "victim_location": r.VictimLocation, "originating_bank": r.OriginatingBank, "originating_account": r.OriginatingAccount,
		"beneficiary_name": r.BeneficiaryName, "beneficiary_bank": r.BeneficiaryBank, "beneficiary_account": r.BeneficiaryAccount,
		"beneficiary_bank_location": r.BeneficiaryBankLocation, "swift_reference": r.SwiftReference, "amount": r.Amount, "currency": r.Currency,
		"transfer_time": r.TransferTime.Format(time.RFC3339),
	}
	if r.IntermediaryBank != "" {
		fields["intermediary_bank"] = r.IntermediaryBank
	}
	if r.EmailHeaders != "" {
		fields["email_headers"] = r.EmailHeaders
	}
	if r.CaseNumber != "" {
		fields["case_numbers"] = []any{r.CaseNumber}
	}
	draft := request.Draft{Type: request.BECRecall, Priority: request.Emergency, To: r.BeneficiaryParty, Title: "Wire recall: " + r.Title,
		Exercise: r.Exercise, Fields: fields}
	var errs validation.Errors
	if r.TransferTime.IsZero() {
		errs.Add("transfer_time", "is required (RFC 3339)")
	} else if r.TransferTime.After(s.now().Add(time.Hour)) {
		errs.Add("transfer_time", "is in the future")
	}
	if r.BeneficiaryParty == s.Party || r.BeneficiaryParty == "" {
		errs.Add("beneficiary_party", "must be the other party that holds the beneficiary account")
	}
	if err := draft.Validate(); err != nil {
		fe, _ := validation.As(err)
		for _, f := range fe {
			errs.Add(strings.TrimPrefix(f.Field, "fields."), f.Detail)
		}
	}
	if err := errs.Err(); err != nil {
		return BECResult{}, err
	}
	if !request.CanAct(request.BECRecall, p.User.Roles) {
		return BECResult{}, fmt.Errorf("%w: wire recalls are sent by %v", ErrForbidden, request.ActorRoles(request.BECRecall))
	}
	at := r.TransferTime.UTC()
	trail := []Hop{{Role: "originating", Bank: r.OriginatingBank, Account: r.OriginatingAccount, Holder: r.Victim, Party: s.Party, Amount: r.Amount, Currency: r.Currency, At: at}}
	if r.IntermediaryBank != "" {
		trail = append(trail, Hop{Role: "intermediary", Bank: r.IntermediaryBank, Account: r.IntermediaryAccount, Amount: r.Amount, Currency: r.Currency, At: at})
	}
	trail = append(trail, Hop{Role: "beneficiary", Bank: r.BeneficiaryBank, Account: r.BeneficiaryAccount, Holder: r.BeneficiaryName, Party: r.BeneficiaryParty,
		Amount: r.Amount, Currency: r.Currency, At: at})
	var items []Item
	for _, h := range trail {
		it := Item{Kind: Account, Value: h.Account, Text: h.Role + " account at " + h.Bank, Handling: r.Handling}
		var probe validation.Errors
		if it.validate(&probe, "", BEC); h.Account != "" && len(probe) == 0 {
			items = append(items, it)
		}
	}
	for _, e := range r.FraudEmails {
		items = append(items, Item{Kind: EmailAddr, Value: e, Text: "fraudulent sender", Handling: r.Handling})
	}
	id, err := s.open(ctx, p, OpenInput{Title: r.Title, Summary: r.Summary, Category: BEC, Subcategories: []string{"wire_fraud"},
		Parties: []string{r.BeneficiaryParty}, CaseNumber: r.CaseNumber, LeadOfficer: r.RequestingOfficer, Handling: r.Handling, Exercise: r.Exercise},
		r.BeneficiaryParty, items, trail, at)
	if err != nil {
		return BECResult{}, err
	}
	rv, err := s.Requests.Create(ctx, p, draft)
	if err != nil {
		return BECResult{}, fmt.Errorf("case %s opened; the recall request failed: %w", id, err)
	}
	if rv, err = s.Requests.Act(ctx, p, rv.ID, request.Send, request.ActInput{}); err != nil {
		return BECResult{}, fmt.Errorf("case %s opened; sending recall request %s failed: %w", id, rv.Reference, err)
	}
	cv, err := s.AddItem(ctx, p, id, Item{Kind: RequestRef, Value: rv.ID, Text: "Emergency wire recall " + rv.Reference + " to " + r.BeneficiaryParty, Handling: r.Handling})
	if err != nil {
		return BECResult{}, err
	}
	return BECResult{Case: cv, Request: rv}, nil
}

func anyList(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}
