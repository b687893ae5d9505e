package workflow

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A directory's sync (SPEC §12): read everything, then apply it in one
// transaction, so a failure anywhere changes nothing of the run.

const (
	// DirectorySyncTimeout bounds one sync, reading and writing.
	DirectorySyncTimeout = 10 * time.Minute
	// maxSyncProblems bounds the problems a sync keeps for the page.
	maxSyncProblems = 100
	maxExternalID   = 256
)

// ErrSyncRunning answers a sync asked for while one runs.
var ErrSyncRunning = Fail(CodeConflict, M("directory.sync_running"))

// SyncDirectory reads the directory and makes its users and their
// assignments what it says. One sync of a directory runs at a time, on any
// number of instances; a failure (directory down, a refused bind, an error
// or a size limit, the database) changes nothing and is recorded
// (DirectorySyncFailed), a success writes DirectorySynced with the counts.
func (s *Service) SyncDirectory(ctx context.Context, id int64, by Actor, m Meta) (DirectorySyncRun, error) {
	d, err := s.openDirectory(ctx, id)
	if err != nil {
		return DirectorySyncRun{}, err
	}
	if s.Directories == nil {
		return DirectorySyncRun{}, Fail(CodeUnavailable, M("directory.no_client"))
	}
	now := s.Now()
	ok, err := s.Store.ClaimDirectorySync(ctx, id, now, now.Add(DirectorySyncTimeout))
	if err != nil {
		return DirectorySyncRun{}, Internal(err)
	}
	if !ok {
		return DirectorySyncRun{}, ErrSyncRunning
	}
	run := DirectorySyncRun{At: now}
	start := time.Now()
	// A sync runs to its end (or its own timeout) even when the request
	// that started it is cut short: it holds the claim, and what it does
	// is recorded either way.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DirectorySyncTimeout)
	err = s.syncDirectory(sctx, d, by, m, &run)
	cancel()
	run.Duration = time.Since(start)
	// The outcome is written even when the caller has gone.
	wctx := context.WithoutCancel(ctx)
	if err != nil {
		run.OK, run.Counts, run.Problems = false, DirectorySyncCounts{}, nil
		run.Error = syncFailure(err)
		s.Log.WarnContext(ctx, "directory sync failed; nothing changed", "directory", d.Name, "err", err)
		s.record(wctx, directoryActivity(by, m, d, EventDirectorySyncFailed, map[string]any{"reason": run.Error}))
	}
	if ferr := s.Store.FinishDirectorySync(wctx, id, run); ferr != nil {
		s.Log.ErrorContext(ctx, "directory sync outcome not recorded", "directory", d.Name, "err", ferr)
	}
	if err != nil {
		return run, &Error{Code: CodeUnavailable, Msg: M("directory.sync_failed", "Reason", run.Error), Err: err}
	}
	return run, nil
}

// syncFailure words why a sync failed, for the directory page.
func syncFailure(err error) string {
	var e *Error
	var rf readFailure
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "the sync took longer than " + DirectorySyncTimeout.String()
	case errors.As(err, &rf):
		return rf.Error()
	case errors.As(err, &e) && e.Code != CodeInternal:
		return e.Msg.String()
	}
	return "the database failed (see the log)"

}

// readFailure is the directory client's failure to read: its words say
// what went wrong with the directory, never a secret.
type readFailure struct{ err error }

func (r readFailure) Error() string { return r.err.Error() }
func (r readFailure) Unwrap() error { return r.err }

func (s *Service) syncDirectory(ctx context.Context, d Directory, by Actor, m Meta, run *DirectorySyncRun) error {
	snap, err := s.Directories.Read(ctx, d)
	if err != nil {
		// The client's words, for the superadmin's page: it says what
		// went wrong with the directory, never a secret.
		return &Error{Code: CodeUnavailable, Msg: M("directory.sync_failed", "Reason", err.Error()), Err: readFailure{err}}
	}
	entries, problems := syncEntries(d, snap)
	author := Actor{Type: ActorSystem, Name: truncate("directory "+d.Name, 100)}
	return s.Store.Tx(ctx, func(st Store) error {
		counts, conflicts, err := st.ApplyDirectorySync(ctx, d, entries, author, run.At)
		if err != nil {
			return err
		}
		problems = append(problems, conflicts...)
		counts.Skipped = len(problems)
		run.OK, run.Counts = true, counts
		run.Problems = problems
		if len(problems) > maxSyncProblems {
			run.Problems = append(problems[:maxSyncProblems:maxSyncProblems],
				"… and "+strconv.Itoa(len(problems)-maxSyncProblems)+" more")
		}
		a := directoryActivity(by, m, d, EventDirectorySynced, map[string]any{
			"created": counts.Created, "updated": counts.Updated, "disabled": counts.Disabled, "enabled": counts.Enabled,
			"assigned": counts.Assigned, "unassigned": counts.Unassigned, "skipped": counts.Skipped, "entries": len(snap.Entries)})
		a.At = run.At
		return st.AddActivity(ctx, a)
	})
}

// syncEntries cleans what the directory said into what a sync writes, with
// the problems of the entries it cannot write. An entry without a stable
// id is left out (it cannot be linked); one with an unusable login, or a
// duplicate, is kept as found (its user is not disabled) but not written.
// A contact value the product cannot keep (an email or phone number it
// does not accept, a name too long) is left empty or cut, and reported.
func syncEntries(d Directory, snap DirectorySnapshot) ([]DirectorySyncEntry, []string) {
	var problems []string
	report := func(e DirectoryEntry, format string, args ...any) {
		who := e.Login
		if who == "" {
			who = e.DN
		}
		problems = append(problems, truncate(who, 200)+": "+fmt.Sprintf(format, args...))
	}
	resources := map[string][]int64{}
	for _, g := range d.Groups {
		resources[g.GroupDN] = append(resources[g.GroupDN], g.ResourceID)
	}
	ids, logins := map[string]bool{}, map[string]bool{}
	out := make([]DirectorySyncEntry, 0, len(snap.Entries))
	for _, e := range snap.Entries {
		id := strings.TrimSpace(e.ID)
		if id == "" || len(id) > maxExternalID || !utf8.ValidString(id) {
			report(e, "no usable %s; left out", d.Attributes.ID)
			continue
		}
		if ids[id] {
			report(e, "the %s %q appears twice; the second left out", d.Attributes.ID, id)
			continue
		}
		ids[id] = true
		x := DirectorySyncEntry{ExternalID: id, Login: strings.TrimSpace(e.Login), Disabled: e.Disabled}
		switch key := strings.ToLower(x.Login); {
		case !userLoginPattern.MatchString(x.Login):
			report(e, "the login %q cannot be used (Use 1 to %d letters, digits and . _ @ + - (starting with a letter or digit).); not updated", truncate(x.Login, 130), MaxLoginLength)
			x.Skip = true
		case logins[key]:
			report(e, "the login appears twice in the directory; not updated")
			x.Skip = true
		default:
			logins[key] = true
		}
		x.Email = strings.TrimSpace(e.Email)
		if x.Email != "" && !validEmail(x.Email) {
			report(e, "the email address %q is not valid; left empty", truncate(x.Email, 260))
			x.Email = ""
		}
		if p, ok := NormalizePhone(e.Phone); ok {
			x.Phone = p
		} else {
			report(e, "the phone number %q is not in international format; left empty", truncate(e.Phone, 40))
		}
		x.FirstName, x.LastName = syncName(e.FirstName), syncName(e.LastName)
		for _, dn := range e.Groups {
			x.Resources = append(x.Resources, resources[dn]...)
		}
		out = append(out, x)
	}
	return out, problems
}

// syncName keeps a name on one line within the 100 characters of a user's.
func syncName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, 100)
}

// DueDirectorySyncs runs the periodic syncs that are due (SPEC §12:
// sync_interval), one directory after the other; it returns how many ran.
// A sync already running elsewhere is passed over.
func (s *Service) DueDirectorySyncs(ctx context.Context) (int, error) {
	ids, err := s.Store.DueDirectories(ctx, s.Now())
	if err != nil {
		return 0, Internal(err)
	}
	n := 0
	for _, id := range ids {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		// A failure is recorded (DirectorySyncFailed) and does not keep the
		// next directory from its sync.
		if _, err := s.SyncDirectory(ctx, id, SystemActor, Meta{}); err == nil {
			n++
		}
	}
	return n, nil
}
