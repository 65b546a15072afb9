// Package consume is `fluvio consume`: read records from a topic's
// partitions and print them as text, hex dumps, JSON, tables or a
// template, optionally through SmartModules and with a named consumer
// whose offsets the cluster keeps.
package consume

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/produce"
	"github.com/gofluvio/fluvio/cli/sminvoke"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// CommitInterval is how often a named consumer's offsets are committed
// while consuming (Fluvio's DEFAULT_OFFSET_FLUSH_INTERVAL).
const CommitInterval = 2 * time.Second

// FlushDelay is how long consume waits for more records before writing
// what it has printed, so a burst of records is one write.
const FlushDelay = 2 * time.Millisecond

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Ctx    context.Context

	Topic              string
	Partitions         []uint32
	AllPartitions      bool
	DisableContinuous  bool
	DisableProgressbar bool
	KeyValue           bool
	Format             string
	Beginning          bool
	Head               int64
	Tail               int64
	Start              int64
	End                int64
	Offset             int64
	MaxBytes           int32
	IsolationFlag      string
	SuppressUnknown    bool
	Output             string
	Truncate           bool
	Consumer           string
	SmartModules       sminvoke.Flags

	// Set by NewCmdConsume from the flags.
	StartOffset client.Offset
	HasEnd      bool
	Isolation   protocol.Isolation
	Template    *Template
	startDesc   string
}

// NewCmdConsume builds the command; runF replaces the work in tests.
func NewCmdConsume(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "consume <topic>",
		Short: "Read records from a topic",
		Long: `Read records from a topic: every partition unless -p selects some. By default
consume waits for new records; -d stops at the end of what is there now.

--format prints each record through a template with the placeholders
{{key}}, {{value}}, {{offset}}, {{partition}} and {{time}} (RFC 3339, UTC).`,
		Example: `  $ fluvio consume greetings -B -d
  hello world

  $ fluvio consume greetings -T 5              # the last 5 records, then wait for more
  $ fluvio consume greetings -o -5 -d          # the same, then stop
  $ fluvio consume greetings --start 10 --end 19 -k
  $ fluvio consume greetings -B -d --format '{{offset}} {{key}}={{value}} at {{time}}'
  $ fluvio consume events -B -d -O json
  $ fluvio consume greetings -B --smartmodule-path filter_on_a.wasm
  $ fluvio consume greetings -B --smartmodule filter-contains -e key=a
  $ fluvio consume scores -B --smartmodule sum --aggregate-initial 0
  $ fluvio consume greetings -B -t transforms.yaml
  $ fluvio consume greetings -B -d -c my-app   # resumes after my-app's last committed offset`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Topic, opts.Ctx = args[0], cmd.Context()
			if err := opts.validate(cmd.Flags().Changed); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	cmdutil.ShadowClusterFlag(cmd, &f.Target)
	fl.UintSliceVarP(new([]uint), "partition", "p", nil, "Partition to consume (repeatable; default: all)")
	fl.BoolVarP(&opts.AllPartitions, "all-partitions", "A", false, "Consume every partition (the default)")
	fl.BoolVarP(&opts.DisableContinuous, "disable-continuous", "d", false, "Stop at the end of the log instead of waiting for new records")
	fl.BoolVar(&opts.DisableProgressbar, "disable-progressbar", false, "Do not show the status line on a terminal")
	fl.BoolVarP(&opts.KeyValue, "key-value", "k", false, "Print records as \"[key] value\", [null] when there is no key")
	fl.StringVarP(&opts.Format, "format", "F", "", "Print records through a template, e.g. '{{offset}} {{key}} {{value}}'")
	fl.BoolVarP(&opts.Beginning, "beginning", "B", false, "Start at the beginning of the log")
	fl.Int64VarP(&opts.Head, "head", "H", 0, "Start this many records after the beginning of the log")
	fl.Int64VarP(&opts.Tail, "tail", "T", 0, "Start this many records before the end of the log")
	fl.Int64Var(&opts.Start, "start", 0, "Start at this absolute offset")
	fl.Int64Var(&opts.End, "end", 0, "Stop after this offset (inclusive)")
	fl.Int64VarP(&opts.Offset, "offset", "o", 0, "Start at this offset; negative counts back from the end (-o -5 is the last 5)")
	fl.Int32VarP(&opts.MaxBytes, "maxbytes", "b", 0, "Maximum bytes per fetch (default 1048890)")
	fl.Int32Var(&opts.MaxBytes, "max-bytes", 0, "Alias of --maxbytes")
	_ = fl.MarkHidden("max-bytes")
	fl.StringVar(&opts.IsolationFlag, "isolation", "", "read_uncommitted (default) or read_committed")
	fl.BoolVar(&opts.SuppressUnknown, "suppress-unknown", false, "Skip records that do not fit the output type (binary in text, invalid JSON)")
	fl.StringVarP(&opts.Output, "output", "O", OutputDynamic, "Output: "+strings.Join(Outputs, "|"))
	fl.BoolVar(&opts.Truncate, "truncate", false, "Cut each record to the terminal width")
	fl.StringVarP(&opts.Consumer, "consumer", "c", "", "Consumer name: resume after its committed offsets and commit what is read")
	opts.SmartModules.Bind(cmd)
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return Outputs, cobra.ShellCompDirectiveNoFileComp
	})
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		parts, _ := cmd.Flags().GetUintSlice("partition")
		opts.Partitions = nil
		for _, p := range parts {
			if p > 1<<31 {
				return cmdutil.FlagErrorf("--partition %d is out of range", p)
			}
			opts.Partitions = append(opts.Partitions, uint32(p))
		}
		return nil
	}
	return cmd
}

func (o *Options) validate(changed func(string) bool) error {
	starts := []string{}
	for _, f := range []string{"beginning", "head", "tail", "start", "offset"} {
		if changed(f) {
			starts = append(starts, "--"+f)
		}
	}
	if len(starts) > 1 {
		return cmdutil.FlagErrorf("%s cannot be used together (choose one starting point)", strings.Join(starts, ", "))
	}
	if len(o.Partitions) > 0 && o.AllPartitions {
		return cmdutil.FlagErrorf("--partition and --all-partitions cannot be used together")
	}
	if changed("format") && changed("output") {
		return cmdutil.FlagErrorf("--format and --output cannot be used together")
	}
	if o.Truncate && (changed("format") || changed("output")) {
		return cmdutil.FlagErrorf("--truncate cannot be used with --format or --output")
	}
	if !slices.Contains(Outputs, strings.ToLower(strings.ReplaceAll(o.Output, "_", "-"))) {
		return cmdutil.FlagErrorf("--output %q is not valid (valid: %s)", o.Output, strings.Join(Outputs, ", "))
	}
	o.Output = strings.ToLower(strings.ReplaceAll(o.Output, "_", "-"))
	for _, f := range []struct {
		name string
		v    int64
	}{{"head", o.Head}, {"tail", o.Tail}, {"start", o.Start}, {"end", o.End}} {
		if f.v < 0 {
			return cmdutil.FlagErrorf("--%s must not be negative, got %d (use -o for offsets from the end)", f.name, f.v)
		}
	}
	if o.MaxBytes < 0 {
		return cmdutil.FlagErrorf("--maxbytes must be positive, got %d", o.MaxBytes)
	}
	o.HasEnd = changed("end")
	switch {
	case o.Beginning:
		o.StartOffset, o.startDesc = client.OffsetBeginning(0), " starting from the beginning of log"
	case changed("head"):
		o.StartOffset, o.startDesc = client.OffsetBeginning(o.Head), fmt.Sprintf(" starting %d from the beginning of log", o.Head)
	case changed("start"):
		o.StartOffset, o.startDesc = client.OffsetAbsolute(o.Start), fmt.Sprintf(" starting at offset %d", o.Start)
	case changed("tail"):
		o.StartOffset, o.startDesc = client.OffsetEnd(o.Tail), fmt.Sprintf(" starting %d from the end of log", o.Tail)
	case changed("offset") && o.Offset < 0:
		o.StartOffset, o.startDesc = client.OffsetEnd(-o.Offset), fmt.Sprintf(" starting %d from the end of log", -o.Offset)
	case changed("offset"):
		o.StartOffset, o.startDesc = client.OffsetAbsolute(o.Offset), fmt.Sprintf(" starting at offset %d", o.Offset)
	default:
		o.StartOffset = client.OffsetEnd(0)
	}
	if o.HasEnd && changed("start") && o.End < o.Start {
		return cmdutil.FlagErrorf("--end %d must be greater than or equal to --start %d", o.End, o.Start)
	}
	if o.IsolationFlag != "" {
		iso, err := produce.ParseIsolation(o.IsolationFlag)
		if err != nil {
			return err
		}
		o.Isolation = iso
	}
	if o.Format != "" {
		t, err := ParseTemplate(o.Format)
		if err != nil {
			return cmdutil.FlagErrorf("%w", err)
		}
		o.Template = t
	}
	return o.SmartModules.Validate(changed)
}

// Status is the line shown on a terminal before records.
func (o *Options) Status() string {
	s := fmt.Sprintf("Consuming records from '%s'%s", o.Topic, o.startDesc)
	if o.HasEnd {
		s += fmt.Sprintf(" until offset %d (inclusive)", o.End)
	}
	return s
}

// item is a record or the error that ended a partition's stream.
type item struct {
	rec client.Record
	err error
}

// Run consumes and prints records.
func Run(opts *Options) error {
	ctx := opts.Ctx
	sms, err := opts.SmartModules.Invocations()
	if err != nil {
		return err
	}
	c, err := opts.Client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	parts := opts.Partitions
	n, err := produce.PartitionCount(ctx, c, opts.Topic)
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		for p := uint32(0); p < n; p++ {
			parts = append(parts, p)
		}
	}
	for _, p := range parts {
		if p >= n {
			return cmdutil.FlagErrorf("--partition %d does not exist: topic %q has %d partition(s) (0..%d)", p, opts.Topic, n, n-1)
		}
	}
	committed := map[uint32]int64{}
	if opts.Consumer != "" {
		cos, err := c.Admin().ListConsumers(ctx)
		if err != nil {
			return fmt.Errorf("consumer %s: %w", opts.Consumer, err)
		}
		for _, co := range cos {
			if co.ConsumerID == opts.Consumer && co.ReplicaID.Topic == opts.Topic {
				committed[co.ReplicaID.Partition] = co.Offset
			}
		}
	}
	cfg := client.ConsumerConfig{MaxBytes: opts.MaxBytes, Isolation: opts.Isolation, SmartModules: sms,
		ConsumerID: opts.Consumer, StopAtEnd: opts.DisableContinuous}
	streams := make([]*client.Stream, 0, len(parts))
	defer func() {
		for _, s := range streams {
			s.Close()
		}
	}()
	for _, p := range parts {
		off := opts.StartOffset
		if co, ok := committed[p]; ok {
			off = client.OffsetAbsolute(co + 1)
		}
		s, err := c.PartitionConsumer(opts.Topic, p).Stream(ctx, off, cfg)
		if err != nil {
			return fmt.Errorf("consume %s-%d: %w", opts.Topic, p, err)
		}
		streams = append(streams, s)
	}
	if opts.IO.IsStdoutTTY() && !opts.DisableProgressbar {
		opts.IO.Printf("%s\n", opts.Status())
	}

	// Why a drain at the end? A stream's Commit stores the offset of the
	// last record its Next returned, so every record taken from a stream
	// must be printed before the final commit: records taken when
	// consuming stops are still printed. (A periodic commit may run ahead
	// of the screen by the records in the channel; the final one is exact.)
	items := make(chan item, 256)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for _, s := range streams {
		wg.Add(1)
		go func(s *client.Stream) {
			defer wg.Done()
			for sctx.Err() == nil {
				rec, err := s.Next(sctx)
				if errors.Is(err, io.EOF) || (err != nil && sctx.Err() != nil) {
					return
				}
				items <- item{rec: rec, err: err}
				if err != nil || (opts.HasEnd && rec.Offset >= opts.End) {
					return
				}
			}
		}(s)
	}
	go func() { wg.Wait(); close(items) }()

	commit := func(ctx context.Context) error {
		if opts.Consumer == "" {
			return nil
		}
		var errs []error
		for _, s := range streams {
			errs = append(errs, s.Commit(ctx))
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("commit offsets of consumer %s: %w", opts.Consumer, err)
		}
		return nil
	}
	var tick <-chan time.Time
	if opts.Consumer != "" {
		t := time.NewTicker(CommitInterval)
		defer t.Stop()
		tick = t.C
	}

	p := newPrinter(opts)
	var runErr error
	ended := false
	show := func(it item) {
		switch {
		case it.err != nil:
			if runErr == nil {
				runErr = it.err
			}
		case ended && opts.HasEnd && it.rec.Offset > opts.End:
		default:
			p.print(it.rec)
		}
	}
	doCommit := func() bool {
		if err := p.flush(); err != nil {
			runErr = err
			return false
		}
		if err := commit(ctx); err != nil {
			runErr = err
			return false
		}
		return true
	}
	idle := time.NewTimer(FlushDelay)
	idle.Stop()
loop:
	for {
		var it item
		var ok bool
		select {
		case it, ok = <-items:
		default:
			// Nothing waiting: wait a moment for more, then show what was
			// printed before blocking (one write per burst, not per record).
			idle.Reset(FlushDelay)
			select {
			case it, ok = <-items:
				idle.Stop()
				goto got
			case <-idle.C:
			}
			if err := p.flush(); err != nil {
				runErr = err
				break loop
			}
			select {
			case it, ok = <-items:
			case <-tick:
				if !doCommit() {
					break loop
				}
				continue
			case <-ctx.Done():
				runErr = ctx.Err()
				break loop
			}
		}
	got:
		if !ok {
			break loop
		}
		show(it)
		if runErr != nil {
			break loop
		}
		if opts.HasEnd && it.rec.Offset >= opts.End {
			ended = true
			opts.IO.Printf("End-offset has been reached; exiting\n")
			break loop
		}
		select {
		case <-tick:
			if !doCommit() {
				break loop
			}
		default:
		}
	}
	stop()
	for it := range items { // records taken before the stop
		show(it)
	}
	if err := p.finish(); err != nil && runErr == nil {
		runErr = err
	}
	if err := commit(context.WithoutCancel(ctx)); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return runErr
	}
	if !opts.DisableContinuous && !opts.HasEnd {
		opts.IO.Printf("Consumer stream has closed\n")
	}
	return nil
}

// printer writes records in the chosen output.
type printer struct {
	opts   *Options
	w      *bufio.Writer
	header bool
	cols   []string
	widths []int
	rows   [][]string // full-table
	width  int
	cur    client.Record
}

func newPrinter(opts *Options) *printer {
	return &printer{opts: opts, w: bufio.NewWriterSize(opts.IO.Out, 64<<10), header: true, width: opts.IO.TerminalWidth()}
}

func (p *printer) flush() error { return p.w.Flush() }

func (p *printer) line(s string) {
	if p.opts.KeyValue {
		p.w.WriteString("[")
		p.w.WriteString(keyStringOf(p.cur))
		p.w.WriteString("] ")
	} else if p.opts.Truncate {
		if r := []rune(s); len(r) > p.width {
			s = string(r[:p.width])
		}
	}
	p.w.WriteString(s)
	p.w.WriteByte('\n')
}

func keyStringOf(r client.Record) string { return keyString(r.Key) }

// print formats one record.
func (p *printer) print(r client.Record) {
	p.cur = r
	o := p.opts
	if o.Template != nil {
		p.line(o.Template.Render(r))
		return
	}
	switch o.Output {
	case OutputDynamic:
		if IsBinary(r.Value) {
			p.line(HexDump(r.Value))
		} else {
			p.line(lossy(r.Value))
		}
	case OutputText:
		if IsBinary(r.Value) && !o.SuppressUnknown {
			p.line(fmt.Sprintf("binary: (%d bytes)", len(r.Value)))
		} else {
			p.line(lossy(r.Value))
		}
	case OutputBinary:
		p.line(HexDump(r.Value))
	case OutputJSON:
		if s, ok := FormatJSON(r.Value, o.SuppressUnknown); ok {
			p.line(s)
		}
	case OutputRaw:
		p.w.Write(r.Value)
		p.w.WriteByte('\n')
	case OutputTable:
		p.tableRow(r)
	case OutputFullTable:
		p.fullTableRow(r)
	}
}

// tableRow prints a JSON object record as a table row; the first record's
// keys are the header.
func (p *printer) tableRow(r client.Record) {
	keys, cells, err := jsonObject(r.Value)
	if err != nil {
		if !p.opts.SuppressUnknown {
			p.opts.IO.Printf("%v\n", err)
		}
		return
	}
	if p.cols == nil {
		p.cols = keys
		p.widths = make([]int, len(keys))
		for i, k := range keys {
			p.widths[i] = max(len(k), len([]rune(cells[k])))
		}
		p.row(p.cols)
	}
	vals := make([]string, len(p.cols))
	for i, k := range p.cols {
		vals[i] = cells[k]
	}
	p.row(vals)
}

func (p *printer) row(cells []string) {
	if !p.opts.IO.IsStdoutTTY() {
		p.w.WriteString(strings.Join(cells, "\t"))
		p.w.WriteByte('\n')
		return
	}
	for i, c := range cells {
		if i > 0 {
			p.w.WriteString("  ")
		}
		p.w.WriteString(c)
		if i < len(cells)-1 {
			p.w.WriteString(strings.Repeat(" ", max(0, p.widths[i]-len([]rune(c)))))
		}
	}
	p.w.WriteByte('\n')
}

// fullTableRow collects JSON object records (or arrays of objects) for a
// table of every column, drawn at the end (and redrawn as records arrive
// on a terminal).
func (p *printer) fullTableRow(r client.Record) {
	objs := [][]byte{r.Value}
	if arr, ok := jsonArray(r.Value); ok {
		objs = arr
	}
	for _, o := range objs {
		keys, cells, err := jsonObject(o)
		if err != nil {
			if !p.opts.SuppressUnknown {
				p.opts.IO.Printf("%v\n", err)
			}
			continue
		}
		for _, k := range keys {
			if !slices.Contains(p.cols, k) {
				p.cols = append(p.cols, k)
			}
		}
		row := make([]string, 0, len(keys)*2)
		for _, k := range keys {
			row = append(row, k, cells[k])
		}
		p.rows = append(p.rows, row)
	}
	if p.opts.IO.IsStdoutTTY() && !p.opts.DisableContinuous {
		p.w.WriteString("\x1b[H\x1b[2J")
		p.drawFullTable()
	}
}

func (p *printer) drawFullTable() {
	if len(p.cols) == 0 {
		return
	}
	widths := make([]int, len(p.cols))
	grid := make([][]string, 0, len(p.rows)+1)
	grid = append(grid, p.cols)
	for _, kv := range p.rows {
		line := make([]string, len(p.cols))
		for i := 0; i+1 < len(kv); i += 2 {
			line[slices.Index(p.cols, kv[i])] = kv[i+1]
		}
		grid = append(grid, line)
	}
	for _, line := range grid {
		for i, c := range line {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	p.widths = widths
	for _, line := range grid {
		p.row(line)
	}
}

// finish draws what is drawn at the end and flushes.
func (p *printer) finish() error {
	if p.opts.Output == OutputFullTable && p.opts.Template == nil && (!p.opts.IO.IsStdoutTTY() || p.opts.DisableContinuous) {
		p.drawFullTable()
	}
	return p.w.Flush()
}

func jsonArray(b []byte) ([][]byte, bool) {
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, "[") {
		return nil, false
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, false
	}
	out := make([][]byte, len(raw))
	for i, r := range raw {
		out[i] = r
	}
	return out, true
}
