// Package radius is the RADIUS front end (SPEC §11): RFC 2865 Access-Request
// over UDP with PAP, RFC 3579 Message-Authenticator on every answer and, per
// client, required on every request (the Blast-RADIUS fix, CVE-2024-3596), and
// RFC 5997 Status-Server. It knows the protocol only: who the clients are and
// what to answer is asked of a Handler, which the core implements.
package radius

import (
	"context"
	"net/netip"
)

// Client is a NAS allowed to ask, found by the packet's source address.
type Client struct {
	ID     int64
	Name   string
	Secret []byte
	// RequireMessageAuthenticator drops requests without one (SPEC default true).
	// A Message-Authenticator that is present is verified either way.
	RequireMessageAuthenticator bool
}

// Request is an Access-Request as the core needs it. Only PAP is served.
type Request struct {
	Client   Client
	UserName string
	Password string // decoded User-Password, at most 128 octets (RFC 2865 §5.2)
	State    []byte // from a previous Access-Challenge; nil when absent
	// What the NAS says about itself and the caller, for the activities;
	// control characters and invalid UTF-8 are removed.
	NASIPAddress     string
	NASIdentifier    string
	CallingStationID string
	Source           netip.AddrPort
}

// AnswerCode is the core's decision.
type AnswerCode int

const (
	Reject AnswerCode = iota
	Accept
	Challenge
)

func (c AnswerCode) String() string {
	switch c {
	case Reject:
		return "reject"
	case Accept:
		return "accept"
	case Challenge:
		return "challenge"
	}
	return "invalid"
}

// AccessDenied is the Reply-Message of every Access-Reject, whatever the
// reason: the NAS shows it to the caller, the reason goes to the activities.
const AccessDenied = "Access denied"

// Answer is the core's decision on a Request.
type Answer struct {
	Code AnswerCode
	// ReplyMessage is shown by the NAS (Accept and Challenge; a Reject always
	// says AccessDenied).
	ReplyMessage string
	// State is sent with a Challenge and comes back with the next request
	// (1 to 253 octets).
	State []byte
}

// Handler is the core as the RADIUS server sees it. Both methods are called
// concurrently, each with a context that ends at the server's per-packet
// timeout. An error means no answer: the NAS retries.
type Handler interface {
	// Client finds the client for a source address; ok false drops the packet.
	Client(ctx context.Context, addr netip.Addr) (c Client, ok bool, err error)
	// Access decides on an Access-Request whose authenticity was verified.
	Access(ctx context.Context, r Request) (Answer, error)
}
