package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Connect to the cluster of the current profile (~/.fluvio/config, as
// written by `fluvio cluster start`), create a topic, produce and read back.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.ConnectProfile(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if err := c.Admin().CreateTopic(ctx, "greetings", client.TopicOptions{Partitions: 1}); err != nil {
		log.Fatal(err)
	}
	p, err := c.Producer(ctx, "greetings")
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range []string{"hello", "bonjour", "hola"} {
		if err := p.Send(ctx, nil, []byte(v)); err != nil {
			log.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		log.Fatal(err)
	}

	s, err := c.PartitionConsumer("greetings", 0).Stream(ctx, client.OffsetBeginning(0), client.ConsumerConfig{StopAtEnd: true})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for {
		r, err := s.Next(ctx)
		if client.IsEnd(err) {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d: %s\n", r.Offset, r.Value)
	}
}

// Keys place records: every record with the same key lands on the same
// partition, the one the Rust client would pick.
func ExampleProducer_Send() {
	ctx := context.Background()
	c, err := client.Connect(ctx, "127.0.0.1:9003")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	p, err := c.Producer(ctx, "orders", client.ProducerConfig{
		Linger:      10 * time.Millisecond,
		Compression: protocol.CompressionZstd,
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = p.Send(ctx, []byte("customer-42"), []byte(`{"item":"book"}`))
	if err := p.Flush(ctx); err != nil {
		log.Fatal(err)
	}
}

// Consume through a SmartModule stored in the cluster (`fluvio smartmodule
// create`), with a named consumer whose position the cluster keeps.
func ExamplePartitionConsumer_Stream() {
	ctx := context.Background()
	c, err := client.Connect(ctx, "127.0.0.1:9003")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	cfg := client.ConsumerConfig{
		SmartModules: []protocol.SmartModuleInvocation{
			client.PredefinedSmartModule("my-filter", protocol.SmartModuleKind{Type: protocol.SMKindFilter}, nil),
		},
		ConsumerID: "billing",
	}
	s, err := c.PartitionConsumer("orders", 0).Stream(ctx, client.OffsetBeginning(0), cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	r, err := s.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(r.Value))
	_ = s.Commit(ctx) // resume after this record next time
}
