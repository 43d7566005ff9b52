package demo

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/progress"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// The transparency-ledger and progress part of the story (issue 7): each
// node's log is cosigned by the other over federation; an export verifies
// offline and a tampered one does not; a progress report made at US is
// recomputed and cosigned by CN, and an altered figure is caught.
func init() {
	Steps = append(Steps,
		Step{"progress: both nodes hold the 2015–2017 dialogue rounds and their commitments", stepRounds},
		Step{"progress: the report of round 4 made at US is recomputed from CN's own record and cosigned, the cosignature reaches US; an altered figure fails", stepReport},
		Step{"ledger: each node's latest checkpoint is cosigned by the other over federation", stepCosigned},
		Step{"ledger: an export verifies offline with the log's and the witness's keys, cosigned by CN; a tampered export fails", stepExportVerify},
	)
}

func stepRounds(ctx context.Context, s *Story) error {
	for _, p := range []string{"US", "CN"} {
		var rs []progress.RoundSummary
		if _, err := s.Clients[p].As(strings.ToLower(p)+"-supervisor").Expect(ctx, 200, "GET", "/api/v1/rounds", nil, &rs); err != nil {
			return err
		}
		n := 0
		for _, r := range rs {
			n += r.Commitments
		}
		if len(rs) != 5 || n == 0 {
			return fmt.Errorf("%s: %d rounds, %d commitments", p, len(rs), n)
		}
	}
	return nil
}

// ledgerKeys fetches a node's log and cosigner verifiers.
func ledgerKeys(ctx context.Context, c *Client) (api.LedgerKeys, error) {
	var k api.LedgerKeys
	_, err := c.Expect(ctx, 200, "GET", "/api/v1/ledger/keys", nil, &k)
	return k, err
}

func stepCosigned(ctx context.Context, s *Story) error {
	keys := map[string]api.LedgerKeys{}
	for _, p := range []string{"US", "CN"} {
		k, err := ledgerKeys(ctx, s.Clients[p].As(strings.ToLower(p)+"-auditor"))
		if err != nil {
			return err
		}
		keys[p] = k
	}
	for _, pair := range [][2]string{{"US", "CN"}, {"CN", "US"}} {
		self, peer := pair[0], pair[1]
		node := s.Node(self).Node
		logV, err := verify.NewLogVerifier(keys[self].Log)
		if err != nil {
			return err
		}
		witV, err := verify.NewCosignerVerifier(keys[peer].Cosigner)
		if err != nil {
			return err
		}
		c := s.Clients[self].As(strings.ToLower(self) + "-auditor")
		err = poll(ctx, self+"'s checkpoint to be cosigned by "+peer, func() (bool, error) {
			if err := node.Exchange.Publish(ctx); err != nil {
				return false, err
			}
			var cv api.CheckpointView
			if _, err := c.Expect(ctx, 200, "GET", "/api/v1/ledger/checkpoint", nil, &cv); err != nil {
				return false, err
			}
			cp, err := verify.OpenCheckpoint([]byte(cv.Checkpoint), logV, witV)
			if err != nil {
				return false, err
			}
			return cp.Cosigned(witV.Name()), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func stepExportVerify(ctx context.Context, s *Story) error {
	us := s.Clients["US"].As("us-auditor")
	uk, err := ledgerKeys(ctx, us)
	if err != nil {
		return err
	}
	ck, err := ledgerKeys(ctx, s.Clients["CN"].As("cn-auditor"))
	if err != nil {
		return err
	}
	logV, err := verify.NewLogVerifier(uk.Log)
	if err != nil {
		return err
	}
	witV, err := verify.NewCosignerVerifier(ck.Cosigner)
	if err != nil {
		return err
	}
	r, err := us.Expect(ctx, 200, "GET", "/api/v1/ledger/export", nil, nil)
	if err != nil {
		return err
	}
	rep, err := verify.VerifyExport(bytes.NewReader(r.Body), logV, witV)
	if err != nil {
		return fmt.Errorf("the export does not verify: %w", err)
	}
	if rep.Size == 0 {
		return errors.New("the export is empty")
	}
	if len(rep.Cosigners) != 1 || rep.Cosigners[0].Name != witV.Name() {
		return fmt.Errorf("the exported checkpoint is not cosigned by CN: %+v", rep.Cosigners)
	}
	// Rewrite one recorded request transition: change one character of its
	// kind, as an insider editing the database would.
	lines := bytes.Split(r.Body, []byte("\n"))
	tampered := false
	for i := 1; i < len(lines); i++ {
		if j := bytes.Index(lines[i], []byte(`"request.transition"`)); j >= 0 {
			lines[i] = bytes.Replace(lines[i], []byte(`"request.transition"`), []byte(`"request.transitioN"`), 1)
			tampered = true
			break
		}
	}
	if !tampered {
		return errors.New("no request transition in the export to tamper with")
	}
	if _, err := verify.VerifyExport(bytes.NewReader(bytes.Join(lines, []byte("\n"))), logV, witV); err == nil {
		return errors.New("a tampered export verifies")
	}
	return nil
}

func stepReport(ctx context.Context, s *Story) error {
	us, cn := s.Clients["US"].As("us-supervisor"), s.Clients["CN"].As("cn-auditor")
	r, err := us.Expect(ctx, 200, "GET", "/api/v1/reports/4?format=html", nil, nil)
	if err != nil {
		return err
	}
	if !bytes.Contains(r.Body, []byte("<svg")) || bytes.Contains(r.Body, []byte("src=\"http")) {
		return errors.New("the HTML report lacks its charts or loads external assets")
	}
	rep, err := progress.ReadReport(r.Body)
	if err != nil {
		return err
	}
	if len(rep.Figures.Current.Directions) == 0 {
		return errors.New("the report counts no requests")
	}
	var v api.ReportVerifyResult
	if _, err := cn.Expect(ctx, 200, "POST", "/api/v1/reports/verify", r.Body, &v); err != nil {
		return err
	}
	if v.Cosignature.Party != "CN" || len(v.Report.Cosignatures) != 1 {
		return fmt.Errorf("no cosignature by CN: %+v", v.Verification)
	}
	// CN's cosignature comes back to US over federation.
	h, err := progress.FiguresHash(&rep.Figures)
	if err != nil {
		return err
	}
	err = poll(ctx, "CN's cosignature to reach US", func() (bool, error) {
		var ks []progress.KeptReport
		if _, err := us.Expect(ctx, 200, "GET", "/api/v1/reports", nil, &ks); err != nil {
			return false, err
		}
		for _, k := range ks {
			if k.FiguresSHA256 == h && len(k.Cosignatures) == 1 && k.Cosignatures[0].Party == "CN" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	// One figure altered: refused on its signature; altered and signed
	// again by US, refused because CN's record says otherwise.
	rep.Figures.Current.Directions[0].Sent++
	if _, err := cn.Expect(ctx, 422, "POST", "/api/v1/reports/verify", rep, nil); err != nil {
		return err
	}
	msg, err := rep.Figures.SignedMessage()
	if err != nil {
		return err
	}
	rep.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(s.Node("US").Node.Identity.Signer, msg))
	res, err := cn.Expect(ctx, 422, "POST", "/api/v1/reports/verify", rep, nil)
	if err != nil {
		return err
	}
	if !bytes.Contains(res.Body, []byte("report-mismatch")) || !bytes.Contains(res.Body, []byte("sent")) {
		return fmt.Errorf("the altered figure is not named: %s", truncate(res.Body))
	}
	return nil
}

// loadRounds imports the example dialogue rounds (progress.Example) into a
// node of the world.
func loadRounds(ctx context.Context, n *node.Node) error {
	ds, err := progress.ParseFile(progress.ExampleName, bytes.NewReader(progress.Example()))
	if err != nil {
		return err
	}
	_, err = n.Progress.Import(ctx, actor, ds)
	return err
}
