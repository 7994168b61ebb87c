package ledger

// Note is something the controller did for a canary besides changing its status (Ledger.Note),
// such as a revert pushed to the source branch:
//
//	Note{Namespace: "test", Name: "podinfo", Text: "reverted main to the promoted revision in 1a2b3c4",
//		Trailers: []KeyValue{{"Revert-Commit", "1a2b3c4…"}}}
type Note struct {
	// Namespace of the Canary.
	Namespace string
	// Name of the Canary.
	Name string
	// Text joins the canary's summary line.
	Text string
	// Trailers join the canary's trailer block, in order.
	Trailers []KeyValue
}

// KeyValue is one trailer of a Note.
type KeyValue struct {
	// Key of the trailer, such as Revert-Commit.
	Key string
	// Value of the trailer.
	Value string
}
