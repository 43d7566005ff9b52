package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/match"
	"github.com/liaison-dev/liaison/internal/store"
)

// The threat-intelligence part of the story: a US analyst shares a
// collection with CN; indicators cross under their TLP markings; CN pulls
// them over TAXII 2.1 and matches its own observables against them.
func init() {
	Steps = append(Steps,
		Step{"a US analyst creates a collection shared with CN and previews who would see a RED object", stepIntelCollection},
		Step{"a STIX bundle pushed over TAXII 2.1 reaches CN filtered by TLP (AMBER and RED-to-CN arrive, AMBER+STRICT stays)", stepIntelShare},
		Step{"CN matches observables against the shared indicators (IP in a CIDR range, domain)", stepIntelMatch},
	)
}

const taxiiMedia = "application/taxii+json;version=2.1"

// storyCollection is the collection the intel steps share.
var storyCollection string

func storyIndicator(n int, pattern string, tlp marking.TLP, extra string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08d-5a5a-4a5a-8a5a-5a5a5a5a5a5a","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-20T08:00:00.000Z","name":"demo indicator %d","pattern":"%s","pattern_type":"stix","valid_from":"2026-11-20T08:00:00Z","object_marking_refs":["%s"]%s}`,
		n, n, pattern, tlp.ID(), extra)
}

func stepIntelCollection(ctx context.Context, s *Story) error {
	us := s.Clients["US"].As("us-analyst")
	var c store.Collection
	if _, err := us.Expect(ctx, 201, "POST", "/api/v1/intel/collections", intel.NewCollection{Title: "BEC and phishing infrastructure",
		Alias: "bec-infra", Grants: []store.Grant{{Grantee: "*", CanRead: true, CanWrite: true}, {Grantee: "party:CN", CanRead: true}}}, &c); err != nil {
		return err
	}
	storyCollection = c.ID
	var p intel.Preview
	red := storyIndicator(2, "[domain-name:value = 'payroll-update.example']", marking.Red, `,"x_liaison_recipients":["CN"]`)
	if _, err := us.Expect(ctx, 200, "POST", "/api/v1/intel/collections/"+c.ID+"/preview", red, &p); err != nil {
		return err
	}
	if p.TLP != "TLP:RED" || len(p.Recipients) != 1 || !p.Recipients[0].Allowed {
		return fmt.Errorf("preview: %+v", p)
	}
	strict := storyIndicator(3, "[ipv4-addr:value = '192.0.2.33']", marking.AmberStrict, "")
	if _, err := us.Expect(ctx, 200, "POST", "/api/v1/intel/collections/"+c.ID+"/preview", strict, &p); err != nil {
		return err
	}
	if len(p.Recipients) != 1 || p.Recipients[0].Allowed {
		return fmt.Errorf("AMBER+STRICT preview allows sharing: %+v", p)
	}
	return nil
}

func stepIntelShare(ctx context.Context, s *Story) error {
	if storyCollection == "" {
		return errors.New("no collection (the previous step failed)")
	}
	us := s.Clients["US"].As("us-analyst")
	bundle := `{"objects":[` + strings.Join([]string{
		storyIndicator(1, "[ipv4-addr:value ISSUBSET '203.0.113.0/24']", marking.Amber, ""),
		storyIndicator(2, "[domain-name:value = 'payroll-update.example']", marking.Red, `,"x_liaison_recipients":["CN"]`),
		storyIndicator(3, "[ipv4-addr:value = '192.0.2.33']", marking.AmberStrict, ""),
	}, ",") + `]}`
	r, err := us.doTAXII(ctx, "POST", "/taxii2/liaison/collections/"+storyCollection+"/objects/", bundle)
	if err != nil {
		return err
	}
	if r.Status != 202 || !strings.Contains(string(r.Body), `"success_count":3`) {
		return fmt.Errorf("TAXII add: %d %s", r.Status, truncate(r.Body))
	}
	// CN receives the shared objects in a collection of its own, readable
	// by its analysts over TAXII.
	cn := s.Clients["CN"].As("cn-analyst")
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := cn.doTAXII(ctx, "GET", "/taxii2/liaison/collections/", "")
		if err != nil {
			return err
		}
		if i := strings.Index(string(r.Body), "(US)"); i >= 0 {
			var list struct {
				Collections []struct{ ID, Title string } `json:"collections"`
			}
			if err := r.JSON(&list); err != nil {
				return err
			}
			for _, c := range list.Collections {
				if !strings.HasSuffix(c.Title, "(US)") {
					continue
				}
				objs, err := cn.doTAXII(ctx, "GET", "/taxii2/liaison/collections/"+c.ID+"/objects/", "")
				if err != nil {
					return err
				}
				body := string(objs.Body)
				if strings.Contains(body, "00000001-5a5a") && strings.Contains(body, "00000002-5a5a") {
					if strings.Contains(body, "00000003-5a5a") {
						return errors.New("the AMBER+STRICT indicator reached CN")
					}
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("shared indicators did not reach CN: %s", truncate(r.Body))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func stepIntelMatch(ctx context.Context, s *Story) error {
	cn := s.Clients["CN"].As("cn-analyst")
	var res api.MatchResponse
	if _, err := cn.Expect(ctx, 200, "POST", "/api/v1/intel/match", api.MatchRequest{Observables: []match.Observable{
		{Type: "ipv4-addr", Value: "203.0.113.77"}, {Type: "domain-name", Value: "PAYROLL-update.example"}, {Type: "ipv4-addr", Value: "192.0.2.33"},
	}}, &res); err != nil {
		return err
	}
	if len(res.Results) != 3 || len(res.Results[0].Indicators) != 1 || len(res.Results[1].Indicators) != 1 || len(res.Results[2].Indicators) != 0 {
		return fmt.Errorf("match results: %+v", res.Results)
	}
	if res.Results[1].Indicators[0].TLP != "TLP:RED" {
		return fmt.Errorf("the RED indicator's marking is not reported: %+v", res.Results[1].Indicators[0])
	}
	return nil
}
