package workflow

import (
	"context"
	"errors"
	"strings"

	"tokenportal/workflow/tokenimport"
)

// ImportResult lists what an import created.
type ImportResult struct {
	Serials []string
}

// ImportTokens reads a PSKC (RFC 6030) or OATH CSV file and stores every
// token in it, sealed, in stock or on resourceID. It is all or nothing: a
// wrong line or element, or a serial that exists already, refuses the whole
// file and stores nothing.
func (s *Service) ImportTokens(ctx context.Context, data []byte, preSharedKey []byte, resourceID *int64, by Actor, m Meta) (ImportResult, error) {
	parsed, err := tokenimport.Parse(data, tokenimport.Options{PreSharedKey: preSharedKey})
	if err != nil {
		var ie *tokenimport.Error
		if errors.As(err, &ie) {
			return ImportResult{}, &Error{Code: CodeInvalid, Msg: M("import.failed", "Reason", ie.Error()), // its text is written for people
				FieldMsgs: map[string]Msg{"file": M("import.reason", "Reason", ie.Error())}, Err: err}
		}
		return ImportResult{}, Internal(err)
	}
	if resourceID != nil {
		if _, err := s.Store.ResourceByID(ctx, *resourceID); err != nil {
			return ImportResult{}, FieldsInvalid(map[string]Msg{"resource_id": M("resource.unknown")})
		}
	}
	res := ImportResult{Serials: make([]string, 0, len(parsed))}
	err = s.Store.Tx(ctx, func(st Store) error {
		for _, p := range parsed {
			t := Token{Serial: p.Serial, Type: TokenType(p.Type), Algorithm: p.Algorithm, Digits: p.Digits, Period: p.Period,
				Counter: int64(p.Counter), LastStep: -1, Enabled: true, ResourceID: resourceID, PINPosition: "after"}
			if t.Type == TokenHOTP && p.Counter > 0 {
				t.LastStep = int64(p.Counter) - 1
			}
			if err := s.sealSecret(&t, p.Secret); err != nil {
				return err
			}
			if err := st.CreateToken(ctx, &t); err != nil {
				if ErrorCode(err) == CodeConflict {
					msg := M("import.serial_exists", "Serial", p.Serial)
					return &Error{Code: CodeConflict, Msg: msg, FieldMsgs: map[string]Msg{"file": msg}, Err: err}
				}
				return err
			}
			res.Serials = append(res.Serials, p.Serial)
		}
		return st.AddActivity(ctx, s.stamp(Activity{Actor: by, ResourceID: resourceID, Event: EventTokensImported,
			IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"count": len(res.Serials), "first": first(res.Serials)}}))
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return strings.Join(s[:min(len(s), 5)], ", ")
}
