package protocol

import (
	"fmt"
	"strings"
)

// Code is the i16 tag of an ErrorCode (spec §6).
type Code int16

// Error code tags. The table errorTable below is the one place names,
// payload layouts, retriability and descriptions live.
const (
	UnknownServerError                  Code = -1
	None                                Code = 0
	OffsetOutOfRange                    Code = 1
	Other                               Code = 2
	NotLeaderForPartition               Code = 6
	RequestTimedOut                     Code = 7
	MessageTooLarge                     Code = 10
	PermissionDenied                    Code = 13
	StorageError                        Code = 56
	InvalidCreateRequest                Code = 60
	InvalidDeleteRequest                Code = 61
	OffsetEvicted                       Code = 71
	PartitionFull                       Code = 72 // HEAD clients only
	PartitionShortCircuited             Code = 73 // HEAD clients only
	SpuError                            Code = 1000
	SpuRegisterationFailed              Code = 1001
	SpuOffline                          Code = 1002
	SpuNotFound                         Code = 1003
	SpuAlreadyExists                    Code = 1004
	TopicError                          Code = 2000
	TopicNotFound                       Code = 2001
	TopicAlreadyExists                  Code = 2002
	TopicPendingInitialization          Code = 2003
	TopicInvalidConfiguration           Code = 2004
	TopicNotProvisioned                 Code = 2005
	TopicInvalidName                    Code = 2006
	TopicDeleted                        Code = 2007
	TopicInvalidReplicaType             Code = 2008
	PartitionPendingInitialization      Code = 3000
	PartitionNotLeader                  Code = 3001
	FetchSessionNotFoud                 Code = 3002 // (sic), as in Fluvio
	OffsetFlushRequestError             Code = 3003
	OffsetManagementDisabled            Code = 3004
	MaxRetryReached                     Code = 3005 // HEAD clients only
	ManagedConnectorError               Code = 5000
	ManagedConnectorNotFound            Code = 5001
	ManagedConnectorAlreadyExists       Code = 5002
	SmartModuleError                    Code = 6000
	SmartModuleNotFound                 Code = 6001
	SmartModuleInvalid                  Code = 6002
	SmartModuleInvalidExports           Code = 6003
	SmartModuleRuntimeError             Code = 6004
	SmartModuleChainInitError           Code = 6005
	SmartModuleInitError                Code = 6006
	SmartModuleLookBackError            Code = 6007
	SmartModuleMemoryLimitExceeded      Code = 6008
	TableFormatError                    Code = 7000
	TableFormatNotFound                 Code = 7001
	TableFormatAlreadyExists            Code = 7002
	DerivedStreamObjectError            Code = 8000
	DerivedStreamNotFound               Code = 8001
	DerivedStreamJoinFetchError         Code = 8002
	DerivedStreamInvalid                Code = 8003
	CompressionError                    Code = 9000
	DeduplicationSmartModuleNotLoaded   Code = 10000
	DeduplicationSmartModuleNameInvalid Code = 10001
	MirrorNotFound                      Code = 11001
	MirrorAlreadyExists                 Code = 11002
	MirrorProduceFromHome               Code = 11003
	MirrorDeleteFromRemote              Code = 11004
	MirrorInvalidType                   Code = 11005
	MirrorProduceFromRemoteNotAllowed   Code = 11006 // HEAD clients only
	SystemSpecDeletionAttempt           Code = 12001
	SystemSpecUpdatingAttempt           Code = 12002
)

// payload is the shape of the data that follows a tag.
type payload uint8

const (
	pNone          payload = iota
	pString                // Message
	pTimeout               // A = timeout_ms (u64), Kind (u8)
	pOffsetEvicted         // A = offset, B = next_available
	pReplicaKey            // Message = topic, A = partition (u32)
	pSMInvalid             // Message = error, Name = Option<String>
	pTwoStrings            // Message, Message2
	pRuntime               // Runtime
	pMemLimit              // A = requested (u64), B = max (u64)
)

type codeInfo struct {
	name      string
	payload   payload
	retriable bool
	desc      string
}

var errorTable = map[Code]codeInfo{
	UnknownServerError:                  {"UnknownServerError", pNone, false, "an unknown server error occurred"},
	None:                                {"None", pNone, false, "success"},
	OffsetOutOfRange:                    {"OffsetOutOfRange", pNone, false, "the requested offset is outside the range of offsets kept by the partition"},
	Other:                               {"Other", pString, false, "other error"},
	NotLeaderForPartition:               {"NotLeaderForPartition", pNone, true, "this server is not the leader for the partition"},
	RequestTimedOut:                     {"RequestTimedOut", pTimeout, true, "the request timed out"},
	MessageTooLarge:                     {"MessageTooLarge", pNone, false, "the record batch is larger than the server accepts"},
	PermissionDenied:                    {"PermissionDenied", pNone, false, "permission denied"},
	StorageError:                        {"StorageError", pNone, true, "the server failed to write to its storage"},
	InvalidCreateRequest:                {"InvalidCreateRequest", pNone, false, "invalid create request"},
	InvalidDeleteRequest:                {"InvalidDeleteRequest", pNone, false, "invalid delete request"},
	OffsetEvicted:                       {"OffsetEvicted", pOffsetEvicted, false, "the offset was evicted by retention"},
	PartitionFull:                       {"PartitionFull", pReplicaKey, true, "the partition reached its maximum size"},
	PartitionShortCircuited:             {"PartitionShortCircuited", pNone, true, "the partition is short-circuited"},
	SpuError:                            {"SpuError", pNone, false, "SPU error"},
	SpuRegisterationFailed:              {"SpuRegisterationFailed", pNone, false, "SPU registration failed"},
	SpuOffline:                          {"SpuOffline", pNone, true, "SPU is offline"},
	SpuNotFound:                         {"SpuNotFound", pNone, false, "SPU not found"},
	SpuAlreadyExists:                    {"SpuAlreadyExists", pNone, false, "SPU already exists"},
	TopicError:                          {"TopicError", pNone, false, "topic error"},
	TopicNotFound:                       {"TopicNotFound", pNone, false, "Topic not found"},
	TopicAlreadyExists:                  {"TopicAlreadyExists", pNone, false, "Topic already exists"},
	TopicPendingInitialization:          {"TopicPendingInitialization", pNone, true, "topic is pending initialization"},
	TopicInvalidConfiguration:           {"TopicInvalidConfiguration", pNone, false, "topic configuration is invalid"},
	TopicNotProvisioned:                 {"TopicNotProvisioned", pNone, true, "topic is not provisioned"},
	TopicInvalidName:                    {"TopicInvalidName", pNone, false, "invalid topic name"},
	TopicDeleted:                        {"TopicDeleted", pNone, false, "the topic was deleted"},
	TopicInvalidReplicaType:             {"TopicInvalidReplicaType", pNone, false, "invalid replica type"},
	PartitionPendingInitialization:      {"PartitionPendingInitialization", pNone, true, "partition is pending initialization"},
	PartitionNotLeader:                  {"PartitionNotLeader", pNone, true, "partition is not led by this SPU"},
	FetchSessionNotFoud:                 {"FetchSessionNotFoud", pNone, false, "fetch session not found"},
	OffsetFlushRequestError:             {"OffsetFlushRequestError", pString, false, "consumer offset flush failed"},
	OffsetManagementDisabled:            {"OffsetManagementDisabled", pNone, false, "offset management is disabled"},
	MaxRetryReached:                     {"MaxRetryReached", pNone, false, "maximum retries reached"},
	ManagedConnectorError:               {"ManagedConnectorError", pNone, false, "managed connector error"},
	ManagedConnectorNotFound:            {"ManagedConnectorNotFound", pNone, false, "managed connector not found"},
	ManagedConnectorAlreadyExists:       {"ManagedConnectorAlreadyExists", pNone, false, "managed connector already exists"},
	SmartModuleError:                    {"SmartModuleError", pNone, false, "SmartModule error"},
	SmartModuleNotFound:                 {"SmartModuleNotFound", pString, false, "SmartModule not found"},
	SmartModuleInvalid:                  {"SmartModuleInvalid", pSMInvalid, false, "SmartModule is invalid"},
	SmartModuleInvalidExports:           {"SmartModuleInvalidExports", pTwoStrings, false, "SmartModule does not export the expected functions"},
	SmartModuleRuntimeError:             {"SmartModuleRuntimeError", pRuntime, false, "SmartModule runtime error"},
	SmartModuleChainInitError:           {"SmartModuleChainInitError", pString, false, "SmartModule chain failed to initialize"},
	SmartModuleInitError:                {"SmartModuleInitError", pString, false, "SmartModule init failed"},
	SmartModuleLookBackError:            {"SmartModuleLookBackError", pString, false, "SmartModule look_back failed"},
	SmartModuleMemoryLimitExceeded:      {"SmartModuleMemoryLimitExceeded", pMemLimit, false, "SmartModule exceeded its memory limit"},
	TableFormatError:                    {"TableFormatError", pNone, false, "table format error"},
	TableFormatNotFound:                 {"TableFormatNotFound", pNone, false, "table format not found"},
	TableFormatAlreadyExists:            {"TableFormatAlreadyExists", pNone, false, "table format already exists"},
	DerivedStreamObjectError:            {"DerivedStreamObjectError", pNone, false, "derived stream error"},
	DerivedStreamNotFound:               {"DerivedStreamNotFound", pString, false, "derived stream not found"},
	DerivedStreamJoinFetchError:         {"DerivedStreamJoinFetchError", pNone, false, "derived stream join fetch error"},
	DerivedStreamInvalid:                {"DerivedStreamInvalid", pString, false, "derived stream is invalid"},
	CompressionError:                    {"CompressionError", pNone, false, "the batch compression does not match the topic's compression type"},
	DeduplicationSmartModuleNotLoaded:   {"DeduplicationSmartModuleNotLoaded", pNone, false, "deduplication SmartModule is not loaded"},
	DeduplicationSmartModuleNameInvalid: {"DeduplicationSmartModuleNameInvalid", pString, false, "deduplication SmartModule name is invalid"},
	MirrorNotFound:                      {"MirrorNotFound", pNone, false, "mirror not found"},
	MirrorAlreadyExists:                 {"MirrorAlreadyExists", pNone, false, "mirror already exists"},
	MirrorProduceFromHome:               {"MirrorProduceFromHome", pNone, false, "cannot produce to a mirror from home"},
	MirrorDeleteFromRemote:              {"MirrorDeleteFromRemote", pNone, false, "cannot delete a mirror from the remote"},
	MirrorInvalidType:                   {"MirrorInvalidType", pNone, false, "invalid mirror type"},
	MirrorProduceFromRemoteNotAllowed:   {"MirrorProduceFromRemoteNotAllowed", pNone, false, "producing from the remote is not allowed"},
	SystemSpecDeletionAttempt:           {"SystemSpecDeletionAttempt", pTwoStrings, false, "system objects cannot be deleted"},
	SystemSpecUpdatingAttempt:           {"SystemSpecUpdatingAttempt", pTwoStrings, false, "system objects cannot be updated"},
}

// HeadOnly reports whether only HEAD (0.18) clients can decode this code; a
// server must not send it to v0.11.11 clients.
func (c Code) HeadOnly() bool {
	switch c {
	case PartitionFull, PartitionShortCircuited, MaxRetryReached, MirrorProduceFromRemoteNotAllowed:
		return true
	}
	return false
}

// Known reports whether c is in the table.
func (c Code) Known() bool { _, ok := errorTable[c]; return ok }

// String is the variant name, e.g. "TopicNotFound".
func (c Code) String() string {
	if i, ok := errorTable[c]; ok {
		return i.name
	}
	return fmt.Sprintf("ErrorCode(%d)", int16(c))
}

// Retriable reports whether a client may retry the request unchanged.
func (c Code) Retriable() bool { return errorTable[c].retriable }

// Description is a short human description of the code.
func (c Code) Description() string { return errorTable[c].desc }

// SmartModuleKindError is the error-side SmartModule kind numbering used in
// SmartModuleTransformRuntimeError (differs from the request-side kinds).
type SmartModuleKindError uint8

// Error-side SmartModule kinds.
const (
	ErrKindFilter SmartModuleKindError = iota
	ErrKindMap
	ErrKindArrayMap
	ErrKindAggregate
	ErrKindFilterMap
	ErrKindJoin
	ErrKindGeneric
)

func (k SmartModuleKindError) String() string {
	names := [...]string{"Filter", "Map", "ArrayMap", "Aggregate", "FilterMap", "Join", "Generic"}
	if int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// SmartModuleTransformRuntimeError says which record a SmartModule failed on.
type SmartModuleTransformRuntimeError struct {
	Hint   string
	Offset int64
	Kind   SmartModuleKindError
	// RecordKey is nil when the record had no key; a present empty key is a
	// non-nil empty slice.
	RecordKey   []byte
	RecordValue []byte
}

// Encode appends the error payload.
func (e *SmartModuleTransformRuntimeError) Encode(dst []byte) []byte {
	dst = AppendString(dst, e.Hint)
	dst = AppendInt64(dst, e.Offset)
	dst = AppendUint8(dst, uint8(e.Kind))
	if e.RecordKey == nil {
		dst = append(dst, 0)
	} else {
		dst = AppendVarintBytes(append(dst, 1), e.RecordKey)
	}
	return AppendVarintBytes(dst, e.RecordValue)
}

// Decode reads the error payload.
func (e *SmartModuleTransformRuntimeError) Decode(r *Reader) {
	e.Hint = r.String()
	e.Offset = r.Int64()
	e.Kind = SmartModuleKindError(r.Uint8())
	if e.Kind > ErrKindGeneric {
		r.Failf("unknown SmartModuleKind %d", e.Kind)
	}
	if r.Bool() {
		e.RecordKey = append([]byte{}, r.VarintBytes()...)
	}
	e.RecordValue = append([]byte(nil), r.VarintBytes()...)
}

// Error renders the error the way the Fluvio client prints it.
func (e *SmartModuleTransformRuntimeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nSmartModule Info: \n    Type: %s\n    Offset: %d\n", e.Hint, e.Kind, e.Offset)
	if e.RecordKey != nil {
		fmt.Fprintf(&b, "    Key: %s\n", e.RecordKey)
	} else {
		b.WriteString("    Key: NULL\n")
	}
	fmt.Fprintf(&b, "    Value: %s", e.RecordValue)
	return b.String()
}

// ErrorCode is Fluvio's ErrorCode enum: an i16 tag and the variant's data.
// The zero value is success (None). Which fields carry data depends on the
// code (see the constructors); the others stay zero.
type ErrorCode struct {
	Code Code
	// Message: the String of Other, OffsetFlushRequestError,
	// SmartModuleNotFound (name), SmartModuleChainInitError,
	// SmartModuleInitError (hint), SmartModuleLookBackError,
	// DerivedStreamNotFound, DerivedStreamInvalid,
	// DeduplicationSmartModuleNameInvalid; the error of SmartModuleInvalid
	// and SmartModuleInvalidExports; the topic of PartitionFull; the kind of
	// SystemSpec*Attempt.
	Message string
	// Message2: the kind of SmartModuleInvalidExports; the name of
	// SystemSpec*Attempt.
	Message2 string
	// Name: the Option<String> name of SmartModuleInvalid.
	Name *string
	// A and B: timeout_ms (RequestTimedOut), offset and next_available
	// (OffsetEvicted), partition (PartitionFull), requested and max
	// (SmartModuleMemoryLimitExceeded).
	A, B int64
	// Kind: the request kind of RequestTimedOut (0 = Produce).
	Kind uint8
	// Runtime: the payload of SmartModuleRuntimeError.
	Runtime *SmartModuleTransformRuntimeError
}

// IsOK reports success.
func (e ErrorCode) IsOK() bool { return e.Code == None }

// Encode appends the tag and payload.
func (e *ErrorCode) Encode(dst []byte) []byte {
	dst = AppendInt16(dst, int16(e.Code))
	switch errorTable[e.Code].payload {
	case pString:
		dst = AppendString(dst, e.Message)
	case pTimeout:
		dst = AppendUint64(dst, uint64(e.A))
		dst = AppendUint8(dst, e.Kind)
	case pOffsetEvicted:
		dst = AppendInt64(dst, e.A)
		dst = AppendInt64(dst, e.B)
	case pReplicaKey:
		dst = AppendString(dst, e.Message)
		dst = AppendUint32(dst, uint32(e.A))
	case pSMInvalid:
		dst = AppendString(dst, e.Message)
		dst = AppendOptString(dst, e.Name)
	case pTwoStrings:
		dst = AppendString(dst, e.Message)
		dst = AppendString(dst, e.Message2)
	case pRuntime:
		rt := e.Runtime
		if rt == nil {
			rt = &SmartModuleTransformRuntimeError{}
		}
		dst = rt.Encode(dst)
	case pMemLimit:
		dst = AppendUint64(dst, uint64(e.A))
		dst = AppendUint64(dst, uint64(e.B))
	}
	return dst
}

// Decode reads the tag and payload; an unknown tag is an error.
func (e *ErrorCode) Decode(r *Reader) {
	*e = ErrorCode{Code: Code(r.Int16())}
	if r.Err() != nil {
		return
	}
	info, ok := errorTable[e.Code]
	if !ok {
		r.Failf("unknown ErrorCode %d", e.Code)
		return
	}
	switch info.payload {
	case pString:
		e.Message = r.String()
	case pTimeout:
		e.A = int64(r.Uint64())
		e.Kind = r.Uint8()
	case pOffsetEvicted:
		e.A = r.Int64()
		e.B = r.Int64()
	case pReplicaKey:
		e.Message = r.String()
		e.A = int64(r.Uint32())
	case pSMInvalid:
		e.Message = r.String()
		e.Name = r.OptString()
	case pTwoStrings:
		e.Message = r.String()
		e.Message2 = r.String()
	case pRuntime:
		e.Runtime = &SmartModuleTransformRuntimeError{}
		e.Runtime.Decode(r)
	case pMemLimit:
		e.A = int64(r.Uint64())
		e.B = int64(r.Uint64())
	}
}

// Err returns nil for None, else an error describing the code and its data.
func (e ErrorCode) Err() error {
	if e.Code == None {
		return nil
	}
	return &Error{Code: e}
}

// Error is an ErrorCode as a Go error; errors.As recovers the code.
type Error struct{ Code ErrorCode }

func (e *Error) Error() string {
	c := e.Code
	switch c.Code {
	case Other, OffsetFlushRequestError, SmartModuleChainInitError, SmartModuleLookBackError,
		DerivedStreamNotFound, DerivedStreamInvalid, DeduplicationSmartModuleNameInvalid:
		return fmt.Sprintf("%s: %s", c.Code.Description(), c.Message)
	case SmartModuleNotFound:
		return fmt.Sprintf("SmartModule %s was not found", c.Message)
	case SmartModuleInitError:
		return fmt.Sprintf("SmartModule init failed: %s", c.Message)
	case SmartModuleInvalid:
		if c.Name != nil {
			return fmt.Sprintf("SmartModule %s is invalid: %s", *c.Name, c.Message)
		}
		return "SmartModule is invalid: " + c.Message
	case SmartModuleInvalidExports:
		return fmt.Sprintf("SmartModule does not export the expected functions: %s (kind %s)", c.Message, c.Message2)
	case SmartModuleRuntimeError:
		if c.Runtime != nil {
			return "SmartModule transform error " + c.Runtime.Error()
		}
	case RequestTimedOut:
		return fmt.Sprintf("request timed out after %d ms", c.A)
	case OffsetEvicted:
		return fmt.Sprintf("offset %d was evicted; the next available offset is %d", c.A, c.B)
	case SmartModuleMemoryLimitExceeded:
		return fmt.Sprintf("SmartModule memory limit exceeded: requested %d bytes, max %d", c.A, c.B)
	case SystemSpecDeletionAttempt, SystemSpecUpdatingAttempt:
		return fmt.Sprintf("%s: %s %s", c.Code.Description(), c.Message, c.Message2)
	case PartitionFull:
		return fmt.Sprintf("partition %s-%d is full", c.Message, c.A)
	}
	return c.Code.Description()
}

// NewError builds an ErrorCode without payload (or with an empty one).
func NewError(c Code) ErrorCode { return ErrorCode{Code: c} }

// NewErrorMessage builds an ErrorCode carrying one String (Other,
// SmartModuleNotFound, SmartModuleInitError, ...).
func NewErrorMessage(c Code, msg string) ErrorCode { return ErrorCode{Code: c, Message: msg} }
