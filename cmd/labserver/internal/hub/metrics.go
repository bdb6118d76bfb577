package hub

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the hub's Prometheus metrics, in a registry of its own so
// that two hubs in one test process do not collide.
type metrics struct {
	reg          *prometheus.Registry
	rooms        prometheus.Gauge
	seats        prometheus.Gauge
	frames       *prometheus.CounterVec
	bytes        *prometheus.CounterVec
	refused      *prometheus.CounterVec
	slow         prometheus.Counter
	divergences  prometheus.Counter
	simEvents    *prometheus.CounterVec
	storeSeconds prometheus.Histogram
	fanout       prometheus.Histogram
	panics       prometheus.Counter
	progress     *prometheus.CounterVec
	submissions  *prometheus.CounterVec
	replay       *prometheus.HistogramVec
	framesIn     prometheus.Counter
	framesOut    prometheus.Counter
	bytesIn      prometheus.Counter
	bytesOut     prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		rooms: prometheus.NewGauge(prometheus.GaugeOpts{Name: "smrlab_rooms",
			Help: "Open rooms this instance serves."}),
		seats: prometheus.NewGauge(prometheus.GaugeOpts{Name: "smrlab_seats_connected",
			Help: "Websocket connections past their hello (seats, the teacher, projectors)."}),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smrlab_frames_total",
			Help: "Websocket frames, by direction (in, out)."}, []string{"dir"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smrlab_bytes_total",
			Help: "Websocket payload bytes, by direction (in, out)."}, []string{"dir"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smrlab_refused_total",
			Help: "Refused connections, frames and actions, by reason."}, []string{"reason"}),
		slow: prometheus.NewCounter(prometheus.CounterOpts{Name: "smrlab_slow_consumers_total",
			Help: "Times a connection's send queue was full: its frames dropped for a fresh sync, or the connection closed."}),
		divergences: prometheus.NewCounter(prometheus.CounterOpts{Name: "smrlab_divergences_total",
			Help: "Browser hashes that differed from the room's, and restored rooms that differed from their stored hash."}),
		simEvents: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smrlab_sim_events_total",
			Help: "Simulation events of each room's native run (its rate is events per second)."}, []string{"room"}),
		storeSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "smrlab_store_seconds",
			Help:    "Time to store one step's records (one transaction).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		fanout: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "smrlab_action_fanout_seconds",
			Help:    "From reading an act frame to its input frame queued for every connection of the room (stored first).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{Name: "smrlab_room_panics_total",
			Help: "Rooms stopped by an internal error (each restored from the store on its next connection)."}),
		progress: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smrlab_progress_events_total",
			Help: "Students' progress frames, by result: credited (replayed natively, new ops applied), resend (a from index the room does not hold: answered progress-from), or the refusal's reason (forged, decode, ...)."}, []string{"result"}),
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smrlab_submissions_total",
			Help: "Bug-hunt submissions, by result: accepted (a violation on the room's native replay), or the refusal's reason."}, []string{"result"}),
		replay: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "smrlab_replay_seconds",
			Help:    "The room's native handling of one progress frame (replaying its new ops on the seat's lesson player) or one submission (replaying its recording), by kind.",
			Buckets: prometheus.ExponentialBuckets(0.00001, 2, 20)}, []string{"kind"}),
	}
	m.reg.MustRegister(m.panics, m.progress, m.submissions, m.replay, m.rooms, m.seats, m.frames, m.bytes, m.refused, m.slow, m.divergences,
		m.simEvents, m.storeSeconds, m.fanout,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.framesIn, m.framesOut = m.frames.WithLabelValues("in"), m.frames.WithLabelValues("out")
	m.bytesIn, m.bytesOut = m.bytes.WithLabelValues("in"), m.bytes.WithLabelValues("out")
	return m
}

func (m *metrics) in(n int) {
	m.framesIn.Inc()
	m.bytesIn.Add(float64(n))
}

func (m *metrics) out(n int) {
	m.framesOut.Inc()
	m.bytesOut.Add(float64(n))
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
