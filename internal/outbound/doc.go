// Package outbound holds the rules for the HTTP requests gitcanary sends to endpoints that the
// synced repository or a Secret names (webhooks, alert providers, metrics servers): a redirect
// never leads to another host, answers are read up to a bound, and the URLs and secrets of
// those endpoints never appear in an error or a log line beyond their scheme and host.
//
// It does not build clients: the webhook, notify and metrics adapters keep their own transports
// and use CheckRedirect, LimitBody and Redact on them.
package outbound
