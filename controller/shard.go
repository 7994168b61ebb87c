package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/gitcanary/gitcanary/apply"
)

// ShardLabel is the label that assigns a Canary to a shard of controller replicas: Flux's
// sharding key, so that one label shards a fleet's Flux objects and its canaries alike.
// The shard's inventories carry it too (apply.Options.Shard).
const ShardLabel = apply.ShardLabel

// shard is the part of the fleet a replica runs: the Canaries whose labels match its selector.
type shard struct {
	// selector is the label selector; nil runs every Canary.
	selector labels.Selector
	// name names the shard in its leader Lease; empty without sharding.
	name string
}

// bareShardKey is a -shard value that is a shard key rather than a selector.
var bareShardKey = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// parseShard reads Options.Shard: empty runs every Canary; a bare key (shard1) is the selector
// sharding.fluxcd.io/key=shard1; anything else is a label selector in kubectl's syntax, such
// as !sharding.fluxcd.io/key for the Canaries of no shard (Flux's main controller), or
// sharding.fluxcd.io/key in (shard1,shard2).
func parseShard(value string) (shard, error) {
	if value == "" {
		return shard{}, nil
	}
	if bareShardKey.MatchString(value) {
		if errs := validation.IsValidLabelValue(value); len(errs) > 0 {
			return shard{}, fmt.Errorf("shard %q: %v", value, errs)
		}
		value = ShardLabel + "=" + value
	}
	sel, err := labels.Parse(value)
	if err != nil {
		return shard{}, fmt.Errorf("shard selector %q: %w", value, err)
	}
	if sel.Empty() {
		return shard{}, nil
	}
	return shard{selector: sel, name: shardName(sel)}, nil
}

// String is the shard's selector, "" without sharding.
func (s shard) String() string {
	if s.selector == nil {
		return ""
	}
	return s.selector.String()
}

// shardName is a short DNS-safe name of a shard: the key of sharding.fluxcd.io/key=<key> (when
// it is a DNS label), "unsharded" for !sharding.fluxcd.io/key, and a hash of the selector
// otherwise.
func shardName(sel labels.Selector) string {
	reqs, _ := sel.Requirements()
	if len(reqs) == 1 && reqs[0].Key() == ShardLabel {
		r := reqs[0]
		switch op := r.Operator(); {
		case (op == selection.Equals || op == selection.DoubleEquals) && r.Values().Len() == 1 &&
			len(validation.IsDNS1123Label(r.Values().List()[0])) == 0:
			return r.Values().List()[0]
		case op == selection.DoesNotExist:
			return "unsharded"
		}
	}
	sum := sha256.Sum256([]byte(sel.String()))
	return "shard-" + hex.EncodeToString(sum[:4])
}

// leaseName is the leader Lease of the shard: one leader per shard.
func (s shard) leaseName() string {
	if s.name == "" {
		return leaseName
	}
	return leaseName + "-" + s.name
}

// ShardSelector returns the label selector that a -shard value stands for ("" when it shards
// nothing), or why the value is not a shard key or a label selector.
func ShardSelector(value string) (string, error) {
	s, err := parseShard(value)
	return s.String(), err
}
