package protocol

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/internal/golden"
)

type scGoldenCase struct {
	name    string
	key     APIKey
	request bool
	msg     Message
}

// scMeta wraps a spec and status from scFullObjects as Metadata.
func scMeta(name string, spec, status Message) Metadata {
	return Metadata{Name: name, Spec: spec, Status: status}
}

func scGoldenCases() []scGoldenCase {
	o := scFullObjects()
	timeout := uint32(30000)
	msg := "Topic already exists"
	topicObjs := []Metadata{
		scMeta("assigned", o["TopicSpec/assigned"], o["TopicStatus"]),
		scMeta("mirror", o["TopicSpec/mirror-remote"], &TopicStatus{Resolution: TopicProvisioned}),
		scMeta("home", o["TopicSpec/mirror-home"], &TopicStatus{Resolution: TopicPending}),
	}
	return []scGoldenCase{
		{"apiversions-request", KeyApiVersions, true, &ApiVersionsRequest{ClientVersion: "0.14.9", ClientOS: "linux", ClientArch: "x86_64"}},
		{"apiversions-response", KeyApiVersions, false, NewApiVersionsResponse(SCVersions, "0.11.11")},

		{"create-topic-request", KeyCreate, true, &CreateRequest{Label: LabelTopic, Name: "t1", DryRun: true, Timeout: &timeout, Spec: o["TopicSpec/assigned"]}},
		{"create-customspu-request", KeyCreate, true, &CreateRequest{Label: LabelCustomSpu, Name: "c1", Spec: o["CustomSpuSpec"]}},
		{"create-spugroup-request", KeyCreate, true, &CreateRequest{Label: LabelSpuGroup, Name: "g1", Spec: o["SpuGroupSpec"]}},
		{"create-smartmodule-request", KeyCreate, true, &CreateRequest{Label: LabelSmartModule, Name: "my-map-me-0.1.0", Spec: o["SmartModuleSpec"]}},
		{"create-tableformat-request", KeyCreate, true, &CreateRequest{Label: LabelTableFormat, Name: "tf", Spec: o["TableFormatSpec"]}},
		{"create-response-ok", KeyCreate, false, NewStatusOK("t1")},
		{"create-response-exists", KeyCreate, false, NewStatusError("t1", NewError(TopicAlreadyExists), msg)},

		{"delete-topic-request", KeyDelete, true, &DeleteRequest{Label: LabelTopic, Key: "t1", Force: true}},
		{"delete-customspu-request", KeyDelete, true, &DeleteRequest{Label: LabelCustomSpu, SpuKey: CustomSpuKey{ByID: true, ID: 5003}}},
		{"delete-response-system", KeyDelete, false, &Status{Name: "consumer-offset", ErrorCode: ErrorCode{Code: SystemSpecDeletionAttempt, Message: "topic", Message2: "consumer-offset"}}},

		{"list-topic-request", KeyList, true, &ListRequest{Label: LabelTopic, NameFilters: []string{"t", "pre"}, Summary: true, System: true}},
		{"list-topic-response", KeyList, false, &ListResponse{Label: LabelTopic, Objects: topicObjs}},
		{"list-partition-response", KeyList, false, &ListResponse{Label: LabelPartition, Objects: []Metadata{scMeta("t1-0", o["PartitionSpec"], o["PartitionStatus"])}}},
		{"list-spu-response", KeyList, false, &ListResponse{Label: LabelSPU, Objects: []Metadata{scMeta("5002", o["SpuSpec"], o["SpuStatus"])}}},
		{"list-customspu-response", KeyList, false, &ListResponse{Label: LabelCustomSpu, Objects: []Metadata{scMeta("c1", o["CustomSpuSpec"], &SpuStatus{Resolution: SpuStatusOffline})}}},
		{"list-spugroup-response", KeyList, false, &ListResponse{Label: LabelSpuGroup, Objects: []Metadata{scMeta("g1", o["SpuGroupSpec"], o["SpuGroupStatus"])}}},
		{"list-smartmodule-response", KeyList, false, &ListResponse{Label: LabelSmartModule, Objects: []Metadata{scMeta("my-map-me-0.1.0", o["SmartModuleSpec"], o["SmartModuleStatus"])}}},
		{"list-tableformat-response", KeyList, false, &ListResponse{Label: LabelTableFormat, Objects: []Metadata{scMeta("tf", o["TableFormatSpec"], o["TableFormatStatus"])}}},
		{"list-empty-response", KeyList, false, &ListResponse{Label: LabelSPU}},

		{"watch-smartmodule-request", KeyWatch, true, &WatchRequest{Label: LabelSmartModule, Epoch: 7, Summary: true}},
		{"watch-topic-response-full", KeyWatch, false, &WatchResponse{Label: LabelTopic, Epoch: 1, All: topicObjs}},
		{"watch-topic-response-changes", KeyWatch, false, &WatchResponse{Label: LabelTopic, Epoch: 2, Changes: []MetadataChange{
			{Op: MsgUpdate, Object: topicObjs[0]},
			{Op: MsgDelete, Object: topicObjs[1]},
		}}},

		{"update-topic-addpartition-request", KeyUpdate, true, &UpdateRequest{Label: LabelTopic, Key: "t1", TopicAction: UpdateTopicAction{Kind: UpdateAddPartition, Count: 3}}},
		{"update-topic-addmirror-request", KeyUpdate, true, &UpdateRequest{Label: LabelTopic, Key: "t1", TopicAction: UpdateTopicAction{Kind: UpdateAddMirror, RemoteCluster: "edge-1", HomeToMirror: true}}},
		{"update-customspu-request", KeyUpdate, true, &UpdateRequest{Label: LabelCustomSpu, SpuKey: CustomSpuKey{Name: "c1"}, Action: "noop"}},
		{"update-smartmodule-request", KeyUpdate, true, &UpdateRequest{Label: LabelSmartModule, Key: "sm", Action: "noop"}},
		{"update-response-notfound", KeyUpdate, false, NewStatusError("t1", NewError(TopicNotFound), "")},
	}
}

// TestSCGolden encodes every SC message at the lowest and highest version
// this package supports and compares with testdata/sc (go test -update
// rewrites them). At the highest version every field is on the wire, so the
// golden bytes decode back to the message.
func TestSCGolden(t *testing.T) {
	for _, tc := range scGoldenCases() {
		vr := SCMessageVersions[tc.key]
		for _, v := range []int16{vr.Min, vr.Max} {
			t.Run(fmt.Sprintf("%s/v%d", tc.name, v), func(t *testing.T) {
				got := tc.msg.Encode(nil, v)
				golden.Assert(t, filepath.Join("sc", fmt.Sprintf("%s-v%d", tc.name, v)), hexLines(got))

				var fresh Message
				var ok bool
				if tc.request {
					fresh, ok = NewSCRequest(tc.key)
				} else {
					fresh, ok = NewSCResponse(tc.key)
				}
				require.True(t, ok)
				scDecodeExact(t, fresh, got, v)
				require.Equal(t, got, fresh.Encode(nil, v))
				if v == vr.Max {
					require.Equal(t, tc.msg, fresh)
				}
			})
		}
	}
}

func TestSCGoldenVersionDifferences(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "sc", name))
		require.NoError(t, err)
		return strings.ReplaceAll(string(b), "\n", "")
	}
	// At v11 the topic spec has no deduplication (v12+), system flag (v13+)
	// or partition mirror (v14+).
	require.NotEqual(t, read("create-topic-request-v11.golden"), read("create-topic-request-v19.golden"))
	// Delete's force flag is v13+: one byte shorter at v11.
	require.Len(t, read("delete-topic-request-v11.golden"), len(read("delete-topic-request-v19.golden"))-2)
	// Status has no version gates.
	require.Equal(t, read("create-response-exists-v11.golden"), read("create-response-exists-v19.golden"))
}
