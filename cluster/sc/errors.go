package sc

import (
	"errors"
	"fmt"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Sentinel errors of the controller.
var (
	// ErrUnknownLabel is an object label the store does not hold.
	ErrUnknownLabel = errors.New("sc: unknown object label")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("sc: controller closed")
)

// APIError is a failed admin operation: the ErrorCode and message the SC
// returns in the Status of Create/Delete/Update.
type APIError struct {
	Code    protocol.ErrorCode
	Message string
}

func (e *APIError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Code.Err().Error()
}

func apiErr(code protocol.Code, format string, args ...any) *APIError {
	return &APIError{Code: protocol.NewError(code), Message: fmt.Sprintf(format, args...)}
}

// errorCodeOf turns err into the ErrorCode and message of a Status.
func errorCodeOf(err error) (protocol.ErrorCode, *string) {
	if err == nil {
		return protocol.ErrorCode{}, nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.Message == "" {
			return ae.Code, nil
		}
		m := ae.Message
		return ae.Code, &m
	}
	m := err.Error()
	return protocol.NewErrorMessage(protocol.Other, m), &m
}
