// Package client is the Go client library for Fluvio: it connects to a
// cluster (an SC address or a profile of ~/.fluvio/config), keeps the
// cluster's metadata in sync through Watch streams, and offers admin calls,
// producers and consumers. It speaks the same protocol as the Rust client,
// so it works against our servers and against a real Fluvio cluster.
//
// Connect, create a topic, produce and consume:
//
//	c, err := client.Connect(ctx, "127.0.0.1:9003")
//	if err != nil { ... }
//	defer c.Close()
//	err = c.Admin().CreateTopic(ctx, "greetings", client.TopicOptions{Partitions: 1, ReplicationFactor: 1})
//	p, err := c.Producer(ctx, "greetings")
//	err = p.Send(ctx, []byte("key"), []byte("hello"))
//	err = p.Flush(ctx)
//	s, err := c.PartitionConsumer("greetings", 0).Stream(ctx, client.OffsetBeginning(0), client.ConsumerConfig{})
//	rec, err := s.Next(ctx)
//
// How fast does a stream read? It acknowledges each chunk (UpdateOffsets)
// as soon as the chunk arrives, so the SPU reads and sends the next one
// while this one is decoded; records alias the chunk they came in, so
// decoding copies nothing. What remains is the garbage collector's work on
// one fresh buffer per chunk: a consumer that handles each record as it
// comes sets ConsumerConfig.ReuseBuffers and the stream reads new chunks
// into the memory of chunks already consumed (`make bench` measures both).
//
// Connections: one per SPU, shared by producers, plain streams and calls,
// as the Rust client does, except that a stream with SmartModules gets one
// of its own, closed by Stream.Close. Why? StreamFetch has no cancel
// message: the SPU keeps a stream, and the SmartModule instances it runs
// (megabytes each), until its connection closes, so a long-lived client
// that opens and closes filtered streams on a shared connection would pile
// them up on the SPU.
//
// Why keep our own metadata cache instead of asking the SC per call? The
// Rust client does the same (three Watch streams: SPU, Partition, Topic), so
// our servers see the same traffic from both clients, and producers and
// consumers find partition leaders without a round trip.
package client
