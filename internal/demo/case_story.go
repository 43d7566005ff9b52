package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/casework"
)

// The joint-case part of the story: a BEC report becomes a joint case
// with the beneficiary's party and an emergency wire recall; a CSAM case
// shares hashes only and refuses a media upload.
func init() {
	Steps = append(Steps,
		Step{"cases: a BEC report opens a joint case with CN and sends an emergency wire-recall request; CN sees both", stepCaseBEC},
		Step{"cases: a CSAM case shares hashes with CN and refuses a media upload (422, nothing stored)", stepCaseCSAM},
	)
}

func stepCaseBEC(ctx context.Context, s *Story) error {
	us := s.Clients["US"].As("us-officer")
	report := casework.BECReport{Title: "Acme Corp CEO fraud", Summary: "The CFO wired USD 1.2M after a spoofed CEO e-mail", BeneficiaryParty: "CN",
		Victim: "Acme Corp", VictimLocation: "Austin, TX", OriginatingBank: "First Texas Bank", OriginatingAccount: "FTBKUS44:000123456789",
		IntermediaryBank: "Global Correspondent Bank", BeneficiaryName: "Shenzhen Trading Ltd", BeneficiaryBank: "Bank of Example Shenzhen",
		BeneficiaryAccount: "BOEXCNSZ:6222000011112222", BeneficiaryBankLocation: "Shenzhen", SwiftReference: "FT26318ABC", Amount: "1200000",
		Currency: "USD", TransferTime: time.Now().UTC().Add(-5 * time.Hour).Truncate(time.Second), FraudEmails: []string{"ceo@acme-corp.example"},
		RequestingAuthority: "FBI Cyber Division", RequestingOfficer: "SA Dana Whitfield", RequestingEmail: "duty@fbi.example",
		TimeZone: "America/New_York", LegalBasis: "18 U.S.C. 1343", Offences: []string{"wire fraud"}, CaseNumber: "FBI-BEC-2026-77",
		Handling: casework.Handling{TLP: "TLP:AMBER", Source: "B", Credibility: 2}}
	var res casework.BECResult
	if _, err := us.Expect(ctx, 201, "POST", "/api/v1/cases/bec", report, &res); err != nil {
		return err
	}
	if res.Case.ID == "" || res.Request.ID == "" || res.Case.Recall == nil {
		return fmt.Errorf("BEC result: case %q, request %q, recall %v", res.Case.ID, res.Request.ID, res.Case.Recall)
	}
	cn := s.Clients["CN"].As("cn-officer")
	return eventually(ctx, "CN holds the BEC case and the recall request", func() (bool, error) {
		var c casework.View
		r, err := cn.Do(ctx, "GET", "/api/v1/cases/"+res.Case.ID, nil)
		if err != nil || r.Status != 200 {
			return false, err
		}
		if err := r.JSON(&c); err != nil {
			return false, err
		}
		rq, err := cn.Do(ctx, "GET", "/api/v1/requests/"+res.Request.ID, nil)
		if err != nil {
			return false, err
		}
		return rq.Status == 200 && strings.Contains(string(rq.Body), "bec_recall"), nil
	})
}

func stepCaseCSAM(ctx context.Context, s *Story) error {
	us := s.Clients["US"].As("us-officer")
	h := casework.Handling{TLP: "TLP:AMBER", Source: "A", Credibility: 1, Conditions: []string{casework.PurposeOnly}, Purpose: "victim identification"}
	var c casework.View
	if _, err := us.Expect(ctx, 201, "POST", "/api/v1/cases", casework.OpenInput{Title: "Hash sharing: series 7", Summary: "Known series seen on a hosting provider",
		Category: casework.CSAM, Parties: []string{"CN"}, Handling: h}, &c); err != nil {
		return err
	}
	for _, it := range []casework.Item{
		{Kind: casework.Hash, Algo: "md5", Value: "d41d8cd98f00b204e9800998ecf8427e", Handling: h},
		{Kind: casework.Hash, Algo: "photodna", Value: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", Handling: h},
		{Kind: casework.Grading, Value: "ICSE category A", Handling: h},
	} {
		if _, err := us.Expect(ctx, 201, "POST", "/api/v1/cases/"+c.ID+"/items", it, nil); err != nil {
			return err
		}
	}
	r, err := us.Do(ctx, "POST", "/api/v1/cases/"+c.ID+"/attachments?name=img.jpg&tlp=amber&source=A&credibility=1", []byte("\xff\xd8\xff\xe0 not really an image"))
	if err != nil {
		return err
	}
	if r.Status != 422 || !strings.Contains(string(r.Body), "media-refused") {
		return fmt.Errorf("media upload in a CSAM case: %d %s", r.Status, truncate(r.Body))
	}
	cn := s.Clients["CN"].As("cn-officer")
	return eventually(ctx, "CN holds the hashes and no file", func() (bool, error) {
		var v casework.View
		r, err := cn.Do(ctx, "GET", "/api/v1/cases/"+c.ID, nil)
		if err != nil || r.Status != 200 {
			return false, err
		}
		if err := r.JSON(&v); err != nil {
			return false, err
		}
		return len(v.Items) == 3 && len(v.Attachments) == 0, nil
	})
}

// eventually polls cond until it holds or 30 s pass: federation delivers
// asynchronously.
func eventually(ctx context.Context, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not after 30 s", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
