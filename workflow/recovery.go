package workflow

import (
	"context"
	"strconv"
	"strings"
)

// Recovery codes (SPEC §3): 8 per user, single use, 10 characters of an
// unambiguous alphabet, shown as xxxxx-xxxxx, accepted with or without the
// hyphen and in any case.
const (
	RecoveryCodeCount = 8
	recoveryCodeLen   = 10
)

// normalizeRecoveryCode returns the canonical form of something that looks
// like a recovery code (a 6-digit OTP never does: it has no letters).
func normalizeRecoveryCode(s string) (string, bool) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", ""))
	if len(s) != recoveryCodeLen {
		return "", false
	}
	letters := false
	for _, r := range s {
		if !strings.ContainsRune(unambiguous, r) {
			return "", false
		}
		if r >= 'A' && r <= 'Z' {
			letters = true
		}
	}
	return s, letters
}

func (s *Service) recoveryHash(userID int64, code string) []byte {
	return s.recoveryHashes(userID, code)[0]
}

// recoveryHashes are the forms of code under the current key and the
// previous ones: codes made before a rotation still work.
func (s *Service) recoveryHashes(userID int64, code string) [][]byte {
	return s.Sealer.MACs("recovery-code:"+strconv.FormatInt(userID, 10), []byte(code))
}

// newRecoveryCodes makes a fresh set, stores their hashes through st, and
// returns them formatted for showing once.
func (s *Service) newRecoveryCodes(ctx context.Context, st Store, userID int64) ([]string, error) {
	codes := make([]string, 0, RecoveryCodeCount)
	hashes := make([][]byte, 0, RecoveryCodeCount)
	for len(codes) < RecoveryCodeCount {
		c := RandomString(recoveryCodeLen, unambiguous)
		if _, ok := normalizeRecoveryCode(c); !ok {
			continue // all digits: would read as an OTP
		}
		codes = append(codes, strings.ToLower(c[:5]+"-"+c[5:]))
		hashes = append(hashes, s.recoveryHash(userID, c))
	}
	if err := st.ReplaceRecoveryCodes(ctx, userID, hashes); err != nil {
		return nil, Internal(err)
	}
	return codes, nil
}

// NewRecoveryCodes replaces a user's recovery codes with a fresh set and
// returns them, to be shown once.
func (s *Service) NewRecoveryCodes(ctx context.Context, u User, m Meta) ([]string, error) {
	var codes []string
	err := s.Store.Tx(ctx, func(st Store) error {
		var err error
		if codes, err = s.newRecoveryCodes(ctx, st, u.ID); err != nil {
			return err
		}
		return st.AddActivity(ctx, s.stamp(Activity{Actor: u.Actor(), UserID: &u.ID, Event: EventRecoveryCodesCreated, IP: m.IP, UserAgent: m.UserAgent}))
	})
	return codes, err
}

// DueRecoveryCodes gives a user the recovery codes of a first token the
// helpdesk approved (SPEC §15), once: nil when none are due. The portal
// asks only in a session that proved a second factor.
func (s *Service) DueRecoveryCodes(ctx context.Context, p Portal, u User, m Meta) ([]string, error) {
	var codes []string
	err := s.Store.Tx(ctx, func(st Store) error {
		due, err := st.TakeRecoveryCodesDue(ctx, u.ID)
		if err != nil || !due {
			return wrapInternal(err)
		}
		codes, err = s.firstTokenCodes(ctx, st, p, u, 0, m)
		return err
	})
	return codes, err
}
