package smartengine

import (
	"errors"
	"fmt"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Sentinel errors. Every error the engine returns wraps one of them (or is
// one of the typed errors below, which match ErrInit, ErrLookBack and
// ErrMemoryLimit with errors.Is); ErrorCode turns any of them into the
// protocol error code the SPU sends to the client.
var (
	// ErrInvalidPayload means the module bytes are neither gzip nor wasm.
	ErrInvalidPayload = errors.New("smartengine: invalid SmartModule payload")
	// ErrCompile means wazero rejected the module.
	ErrCompile = errors.New("smartengine: module does not compile")
	// ErrMissingCopyRecords means the module does not import copy_records,
	// so it cannot hand its output back (spec §1.1).
	ErrMissingCopyRecords = errors.New("smartengine: module does not import copy_records")
	// ErrUnsupportedImport means the module imports something other than
	// copy_records and WASI preview1 functions.
	ErrUnsupportedImport = errors.New("smartengine: module imports something the engine does not provide")
	// ErrBadSignature means an ABI export has another signature than
	// (i32, i32, i32) -> i32 (or alloc/dealloc/memory are missing).
	ErrBadSignature = errors.New("smartengine: module export has the wrong signature")
	// ErrNoTransform means the module exports none of filter, map,
	// filter_map, array_map and aggregate.
	ErrNoTransform = errors.New("smartengine: no valid smartmodule found")
	// ErrInit matches every *InitError.
	ErrInit = errors.New("smartengine: SmartModule init failed")
	// ErrLookBack matches every *LookBackError.
	ErrLookBack = errors.New("smartengine: SmartModule look_back failed")
	// ErrMemoryLimit matches every *MemoryLimitError.
	ErrMemoryLimit = errors.New("smartengine: SmartModule memory limit exceeded")
	// ErrTimeout means a call ran past Config.CallTimeout (or its context
	// ended); the instance is closed and the chain is unusable.
	ErrTimeout = errors.New("smartengine: SmartModule call exceeded its time limit")
	// ErrTrap means the module trapped (or exited) during a call; the
	// chain is unusable afterwards.
	ErrTrap = errors.New("smartengine: SmartModule trapped")
	// ErrReturnCode means an export returned a negative status (spec §1.4).
	ErrReturnCode = errors.New("smartengine: SmartModule returned an error status")
	// ErrBadOutput means the module's output did not decode or lies outside
	// its memory.
	ErrBadOutput = errors.New("smartengine: SmartModule output is invalid")
	// ErrChainBroken means an earlier call of the chain failed with a
	// trap, a timeout or a memory limit; the stream must end.
	ErrChainBroken = errors.New("smartengine: chain is unusable after an earlier failure")
	// ErrChainInit wraps every failure of Engine.NewChain (instantiation,
	// start functions, init), so ErrorCode reports it as
	// SmartModuleChainInitError.
	ErrChainInit = errors.New("smartengine: chain initialization failed")
	// ErrClosed means the engine or chain was closed.
	ErrClosed = errors.New("smartengine: closed")
)

// InitError is a failure reported by the module's init function (return
// code -2 with a hint), for example "Missing param key".
type InitError struct {
	Hint string
}

func (e *InitError) Error() string { return "smartengine: SmartModule init failed: " + e.Hint }

// Is makes errors.Is(err, ErrInit) true.
func (e *InitError) Is(target error) bool { return target == ErrInit }

// Display is the text Fluvio's engine shows for an init failure, which the
// SPU sends inside SmartModuleChainInitError (spec §1.5).
func (e *InitError) Display() string { return e.Hint + "\n\nSmartModule Init Error: \n" }

// LookBackError is a failure reported by the module's look_back function
// (return code -99), naming the record it failed on.
type LookBackError struct {
	Hint        string
	Offset      int64
	RecordKey   []byte // nil: the record had no key
	RecordValue []byte
	err         error // the call failure behind it, if not a -99 status
}

func (e *LookBackError) Error() string {
	if e.err != nil {
		return "smartengine: SmartModule look_back failed: " + e.Hint
	}
	return fmt.Sprintf("smartengine: SmartModule look_back failed at offset %d: %s", e.Offset, e.Hint)
}

// Is makes errors.Is(err, ErrLookBack) true.
func (e *LookBackError) Is(target error) bool { return target == ErrLookBack }

// Unwrap returns the call failure (trap, timeout, bad status) behind a
// look_back error, or nil when the module reported the error itself.
func (e *LookBackError) Unwrap() error { return e.err }

// MemoryLimitError is a memory creation or growth refused by the per
// instance limit. Requested is the size in bytes the module asked for.
type MemoryLimitError struct {
	Requested uint64
	Max       uint64
}

func (e *MemoryLimitError) Error() string {
	return fmt.Sprintf("smartengine: SmartModule memory limit exceeded: requested %d bytes, max %d", e.Requested, e.Max)
}

// Is makes errors.Is(err, ErrMemoryLimit) true.
func (e *MemoryLimitError) Is(target error) bool { return target == ErrMemoryLimit }

// ReturnCodeError is a negative status returned by an export.
type ReturnCodeError struct {
	Func string
	Code int32
}

func (e *ReturnCodeError) Error() string {
	return fmt.Sprintf("smartengine: %s returned %d (%s)", e.Func, e.Code, returnCodeText(e.Func, e.Code))
}

// Is makes errors.Is(err, ErrReturnCode) true.
func (e *ReturnCodeError) Is(target error) bool { return target == ErrReturnCode }

// returnCodeText is the Fluvio SDK's description of a status (spec §1.4).
func returnCodeText(fn string, code int32) string {
	switch fn {
	case "init":
		switch code {
		case -2:
			return "error during initialization"
		case -10:
			return "failed to decode SmartModule init input"
		case -11:
			return "failed to encode SmartModule init output"
		}
	case "look_back":
		switch code {
		case -66:
			return "failed to decode SmartModule look_back input"
		case -77:
			return "failed to decode SmartModule look_back record input"
		case -88:
			return "failed to encode SmartModule look_back output"
		case -99:
			return "error returned from user look_back function call"
		}
	default:
		switch code {
		case -11:
			return "failed to decode SmartModule base input"
		case -22:
			return "failed to decode SmartModule record input"
		case -33:
			return "failed to encode SmartModule output"
		case -44:
			return "failed to parse SmartModule extra params"
		case -55:
			return "undefined right record in Join SmartModule"
		}
	}
	return "encountered unknown error during SmartModule processing"
}

// ErrorCode maps an engine error to the error code the SPU sends to the
// client (spec §3.4): payload and instantiation problems, init failures
// and missing exports become SmartModuleChainInitError with Fluvio's text;
// memory limits SmartModuleMemoryLimitExceeded; look_back failures
// SmartModuleLookBackError; anything that happens while processing
// (traps, timeouts, bad status, bad output) Other("SmartModule err ...").
// nil gives the zero ErrorCode (None).
func ErrorCode(err error) protocol.ErrorCode {
	if err == nil {
		return protocol.ErrorCode{}
	}
	var (
		mem  *MemoryLimitError
		ini  *InitError
		look *LookBackError
	)
	switch {
	case errors.As(err, &mem):
		return protocol.ErrorCode{Code: protocol.SmartModuleMemoryLimitExceeded, A: int64(mem.Requested), B: int64(mem.Max)}
	case errors.Is(err, ErrInvalidPayload):
		return protocol.ErrorCode{Code: protocol.SmartModuleInvalid, Message: err.Error()}
	case errors.As(err, &ini):
		return protocol.NewErrorMessage(protocol.SmartModuleChainInitError, ini.Display())
	case errors.As(err, &look):
		return protocol.NewErrorMessage(protocol.SmartModuleLookBackError, look.Hint)
	case errors.Is(err, ErrMissingCopyRecords):
		return protocol.NewErrorMessage(protocol.SmartModuleChainInitError, "Failed to instantiate: At least one import is required")
	case errors.Is(err, ErrNoTransform):
		return protocol.NewErrorMessage(protocol.SmartModuleChainInitError, "No valid smartmodule found")
	case errors.Is(err, ErrCompile), errors.Is(err, ErrUnsupportedImport), errors.Is(err, ErrBadSignature):
		return protocol.NewErrorMessage(protocol.SmartModuleChainInitError, "Failed to instantiate: "+err.Error())
	case errors.Is(err, ErrChainInit):
		return protocol.NewErrorMessage(protocol.SmartModuleChainInitError, err.Error())
	}
	return protocol.NewErrorMessage(protocol.Other, "SmartModule err "+err.Error())
}
