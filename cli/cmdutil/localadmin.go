package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/local"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// localAdmin adapts the Go client's admin API to what cluster/local needs
// (local.Admin).
type localAdmin struct{ c *client.Client }

func connectLocalAdmin(ctx context.Context, addr string) (local.Admin, error) {
	c, err := client.Connect(ctx, addr)
	if err != nil {
		return nil, err
	}
	return &localAdmin{c: c}, nil
}

// EnsureCustomSPU creates CustomSpu custom-spu-<id>, advertising localhost,
// as Fluvio's local start does; an existing one is kept (resume).
func (a *localAdmin) EnsureCustomSPU(ctx context.Context, spu local.SPU) error {
	host := "localhost"
	spec := &protocol.CustomSpuSpec{
		ID:              spu.ID,
		PublicEndpoint:  protocol.IngressPort{Port: uint16(spu.PublicPort), Ingress: []protocol.IngressAddr{{Hostname: &host}}},
		PrivateEndpoint: protocol.Endpoint{Port: uint16(spu.PrivatePort), Host: host},
	}
	err := a.c.Admin().Create(ctx, protocol.LabelCustomSpu, fmt.Sprintf("custom-spu-%d", spu.ID), false, spec)
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Code.Code == protocol.SpuAlreadyExists {
		return nil
	}
	return err
}

// OnlineSPUs counts the SPUs the SC reports online.
func (a *localAdmin) OnlineSPUs(ctx context.Context) (int, error) {
	spus, err := a.c.Admin().ListSPUs(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range spus {
		if s.Status != nil && s.Status.Resolution == protocol.SpuStatusOnline {
			n++
		}
	}
	return n, nil
}

// Topics counts the user topics and sums their partitions' sizes times
// the replicas holding them, as Fluvio's status does.
func (a *localAdmin) Topics(ctx context.Context) (int, int64, error) {
	topics, err := a.c.Admin().ListTopics(ctx)
	if err != nil {
		return 0, 0, err
	}
	parts, err := a.c.Admin().ListPartitions(ctx)
	if err != nil {
		return 0, 0, err
	}
	var size int64
	for _, p := range parts {
		if p.Status != nil && p.Status.Size > 0 {
			size += p.Status.Size * int64(1+len(p.Status.Replicas))
		}
	}
	return len(topics), size, nil
}

func (a *localAdmin) Close() error { return a.c.Close() }
