package federation

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the federation's Prometheus metrics, all labelled by peer.
type metrics struct {
	delivered  *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	retries    *prometheus.CounterVec
	failed     *prometheus.CounterVec
	accepted   *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	rejections *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, s *Service) *metrics {
	m := &metrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_federation_delivered_total",
			Help: "Envelopes delivered to a peer with a verified, stored receipt; traffic is operational or exercise."}, []string{"peer", "traffic"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "liaison_federation_delivery_seconds",
			Help:    "Time from enqueue to stored receipt.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60, 600, 3600}}, []string{"peer", "traffic"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_federation_retries_total",
			Help: "Delivery attempts that failed and were rescheduled."}, []string{"peer"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_federation_failed_total",
			Help: "Envelopes a peer refused for good, by reason."}, []string{"peer", "reason"}),
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_federation_inbox_accepted_total",
			Help: "Envelopes received from a peer and applied; traffic is operational or exercise."}, []string{"peer", "traffic"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_federation_inbox_duplicates_total",
			Help: "Envelopes received again and answered with the earlier receipt; traffic is operational or exercise."}, []string{"peer", "traffic"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_federation_inbox_rejections_total",
			Help: "Envelopes or requests the inbox refused, by reason."}, []string{"peer", "reason"}),
	}
	if reg == nil {
		return m
	}
	reg.MustRegister(m.delivered, m.latency, m.retries, m.failed, m.accepted, m.duplicates, m.rejections, &gauges{s: s})
	return m
}

// gauges reports queue depth and peer health when scraped, from the store
// and the worker's state.
type gauges struct{ s *Service }

var (
	depthDesc  = prometheus.NewDesc("liaison_federation_outbox_depth", "Envelopes waiting for delivery to a peer.", []string{"peer"}, nil)
	oldestDesc = prometheus.NewDesc("liaison_federation_outbox_oldest_seconds", "Age of the oldest envelope waiting for a peer.", []string{"peer"}, nil)
	failedDesc = prometheus.NewDesc("liaison_federation_outbox_failed", "Envelopes a peer refused for good.", []string{"peer"}, nil)
	upDesc     = prometheus.NewDesc("liaison_federation_peer_up", "1 if the last exchange with the peer succeeded.", []string{"peer"}, nil)
)

func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- depthDesc
	ch <- oldestDesc
	ch <- failedDesc
	ch <- upDesc
}

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stats, err := g.s.st.OutboxStats(ctx)
	if err == nil {
		now := g.s.clock.Now()
		for _, st := range stats {
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(st.Pending), st.Recipient)
			ch <- prometheus.MustNewConstMetric(failedDesc, prometheus.GaugeValue, float64(st.Failed), st.Recipient)
			age := 0.0
			if st.Pending > 0 {
				age = now.Sub(st.OldestPending).Seconds()
			}
			ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age, st.Recipient)
		}
	}
	for peer, h := range g.s.Health() {
		up := 0.0
		if h.State == HealthOK {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up, peer)
	}
}

// traffic labels an envelope's counts: drills and tabletop exercises
// travel the real channel and must not inflate operational figures.
func traffic(exercise bool) string {
	if exercise {
		return "exercise"
	}
	return "operational"
}
