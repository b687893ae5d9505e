package ldap

import (
	"context"
	"fmt"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"tokenportal/workflow"
)

// Authenticate finds the user's entry with the service account, by stable
// id and else by login (entries matching the disabled filter are not
// found), and binds as its DN with password on a new connection.
// workflow.ErrDirectoryCredentials: no single such entry, or a wrong
// password; any other error: the directory could not answer.
func (c *Client) Authenticate(ctx context.Context, d workflow.Directory, externalID, login, password string) error {
	if password == "" {
		// A bind with an empty password would be anonymous, and succeed.
		return workflow.ErrDirectoryCredentials
	}
	if err := settingsError(c.Check(d)); err != nil {
		return err
	}
	dn, err := c.findUser(ctx, d, externalID, login)
	if err != nil {
		return err
	}
	cn, err := c.dial(ctx, d)
	if err != nil {
		return fmt.Errorf("directory unreachable: %w", err)
	}
	defer cn.close()
	if err := cn.Bind(dn, password); err != nil {
		if goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
			return workflow.ErrDirectoryCredentials
		}
		return fmt.Errorf("directory unreachable: %w", withContext(ctx, err))
	}
	return nil
}

// findUser returns the DN of the one enabled entry of the user filter with
// the id, or else the login — the same entry, with the same id, when the
// user has one.
func (c *Client) findUser(ctx context.Context, d workflow.Directory, externalID, login string) (string, error) {
	cn, err := c.open(ctx, d)
	if err != nil {
		return "", fmt.Errorf("directory unreachable: %w", err)
	}
	defer cn.close()

	var conds []string
	if externalID != "" {
		if !isGUID(d.Attributes.ID) {
			conds = append(conds, "("+d.Attributes.ID+"="+goldap.EscapeFilter(externalID)+")")
		} else if b, err := GUIDBytes(externalID); err == nil {
			conds = append(conds, "("+d.Attributes.ID+"="+escapeBytes(b)+")")
		}
	}
	if login != "" {
		conds = append(conds, "("+d.Attributes.Login+"="+goldap.EscapeFilter(login)+")")
	}
	notDisabled := ""
	if d.DisabledFilter != "" {
		notDisabled = "(!" + d.DisabledFilter + ")"
	}
	for _, cond := range conds {
		req := goldap.NewSearchRequest(d.BaseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 2, 0, false,
			"(&"+d.UserFilter+cond+notDisabled+")", []string{d.Attributes.ID}, nil)
		res, err := cn.Search(req)
		switch {
		case goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded):
			return "", workflow.ErrDirectoryCredentials // more than one: whose password?
		case err != nil:
			return "", fmt.Errorf("directory unreachable: search failed: %w", withContext(ctx, err))
		case len(res.Entries) > 1:
			return "", workflow.ErrDirectoryCredentials
		case len(res.Entries) == 1:
			// Found by login: only if it is the same entry. A login deleted
			// and made again is another person's, whose password must not
			// open the old user's account.
			if got := entry(d.Attributes, res.Entries[0]).ID; externalID != "" && !strings.EqualFold(got, externalID) {
				return "", workflow.ErrDirectoryCredentials
			}
			return res.Entries[0].DN, nil
		}
	}
	return "", workflow.ErrDirectoryCredentials
}

// escapeBytes writes every byte as \xx, for a filter on a binary attribute.
func escapeBytes(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, `\%02x`, c)
	}
	return s.String()
}
