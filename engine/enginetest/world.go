package enginetest

import "github.com/gitcanary/gitcanary/engine"

// World is one fake of each engine port, all recording into Journal.
type World struct {
	Journal   *Journal
	Workloads *Workloads
	Scaler    *Scaler
	Router    *Router
	Metrics   *Metrics
	Hooks     *Hooks
	Notifier  *Notifier
	Recorder  *Recorder
	Canaries  *Canaries
	Telemetry *Telemetry
	// Admission is not among Ports (see Admission).
	Admission *Admission
}

// NewWorld returns a World with a fresh Journal.
func NewWorld() *World {
	j := &Journal{}
	return &World{
		Journal:   j,
		Workloads: NewWorkloads(j),
		Scaler:    NewScaler(j),
		Router:    NewRouter(j),
		Metrics:   NewMetrics(j),
		Hooks:     NewHooks(j),
		Notifier:  NewNotifier(j),
		Recorder:  NewRecorder(j),
		Canaries:  NewCanaries(j),
		Telemetry: NewTelemetry(j),
		Admission: NewAdmission(j),
	}
}

// Ports returns the fakes as engine.Ports.
func (w *World) Ports() engine.Ports {
	return engine.Ports{
		Workloads: w.Workloads, Scaler: w.Scaler, Router: w.Router, Metrics: w.Metrics,
		Hooks: w.Hooks, Notifier: w.Notifier, Recorder: w.Recorder, Canaries: w.Canaries,
		Telemetry: w.Telemetry,
	}
}
