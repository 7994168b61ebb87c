// Package notify sends a Canary's alerts to chat services with Flagger's payloads
// (reference §9): Slack, Discord (Slack payload on <url>/slack), Rocket.Chat, MS Teams
// (MessageCard) and Google Chat (card).
//
// Dispatcher implements engine.Notifier. A canary with analysis.alerts sends each
// notification to the AlertProviders of the alerts whose severity receives it (info receives
// everything, warn receives warn and error, error receives error; an empty severity is info,
// where Flagger never fires it: quirk S7). A canary without alerts uses the global notifier of
// the controller flags (MS Teams when its URL is set, else Slack, else none). Fields: Cluster
// first when the controller has a cluster name, then, for the initialization and new-revision
// alerts, Target, Failed checks threshold, Progress deadline and Traffic routing.
//
// Each POST has a 5s timeout; a failing provider is logged and its error returned, and never
// stops the others. It deliberately does not decide which messages to send (the engine does)
// and has no generic webhook alert type: event webhooks (package webhook) cover that.
package notify
