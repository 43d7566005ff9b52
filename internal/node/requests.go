package node

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/request"
)

// SweepInterval is how often deadlines, hotline escalations, scheduled
// drills and pending notices are looked at.
var SweepInterval = 5 * time.Second

// openRequests wires the request and hotline services: their federation
// handlers, the deadline policy from the configuration, and the API.
func (n *Node) openRequests() error {
	cfg := n.Config
	pol, err := request.NewPolicy(cfg.TimeZone, cfg.Deadlines)
	if err != nil {
		return err
	}
	d := cfg.Deadlines
	hp := hotline.DefaultPolicy
	if d.HotlineAcknowledge > 0 {
		hp.Acknowledge = time.Duration(d.HotlineAcknowledge)
	}
	if d.HotlineBackup > 0 {
		hp.Backup = time.Duration(d.HotlineBackup)
	}
	if d.HotlineSupervisor > 0 {
		hp.Supervisor = time.Duration(d.HotlineSupervisor)
	}
	n.Hotline = &hotline.Service{Store: n.Store, Clock: n.Clock, Party: cfg.Party, Federation: n.Federation, Policy: hp, Log: n.Log,
		Notify: hotline.Notify{SMTP: d.SMTP, From: d.MailFrom, Supervisors: d.Supervisors, Webhook: d.Webhook}}
	n.Requests = &request.Service{Store: n.Store, Clock: n.Clock, Party: cfg.Party, Federation: n.Federation, Policy: pol,
		Hotline: n.Hotline, Log: n.Log, Dir: cfg.Path("data/attachments")}
	n.Requests.Register(n.Federation)
	n.Hotline.Register(n.Federation)
	n.API.Requests, n.API.Hotline = n.Requests, n.Hotline
	return nil
}

// runRequests sweeps deadlines and the hotline until ctx ends.
func (n *Node) runRequests(ctx context.Context) {
	go n.Hotline.Run(ctx, SweepInterval)
	n.Requests.Run(ctx, SweepInterval)
}
