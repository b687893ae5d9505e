package ldap

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"tokenportal/workflow"
)

// inChain is Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: memberOf
// followed through nested groups.
const inChain = "1.2.840.113556.1.4.1941"

// Read returns every entry of the user filter, marks those matching the
// disabled filter and resolves the configured groups. Any error means no
// snapshot.
func (c *Client) Read(ctx context.Context, d workflow.Directory) (workflow.DirectorySnapshot, error) {
	if err := settingsError(c.Check(d)); err != nil {
		return workflow.DirectorySnapshot{}, err
	}
	cn, err := c.open(ctx, d)
	if err != nil {
		return workflow.DirectorySnapshot{}, err
	}
	defer cn.close()

	var entries []workflow.DirectoryEntry
	byDN := map[string]int{} // normalised DN → index in entries
	err = c.search(ctx, cn, d.BaseDN, d.UserFilter, requestedAttributes(d.Attributes), func(e *goldap.Entry) {
		entries = append(entries, entry(d.Attributes, e))
		if key, ok := dnKey(e.DN); ok {
			byDN[key] = len(entries) - 1
		}
	})
	if err != nil {
		return workflow.DirectorySnapshot{}, err
	}

	// matched calls f with the index of every entry the filter finds.
	matched := func(filter string, f func(i int)) error {
		return c.search(ctx, cn, d.BaseDN, filter, []string{"1.1"}, func(e *goldap.Entry) {
			if key, ok := dnKey(e.DN); ok {
				if i, ok := byDN[key]; ok {
					f(i)
				}
			}
		})
	}
	if d.DisabledFilter != "" {
		err := matched("(&"+d.UserFilter+d.DisabledFilter+")", func(i int) { entries[i].Disabled = true })
		if err != nil {
			return workflow.DirectorySnapshot{}, fmt.Errorf("disabled users: %w", err)
		}
	}

	done := map[string]bool{}
	for _, g := range d.Groups {
		if done[g.GroupDN] {
			continue // the same group for another resource
		}
		done[g.GroupDN] = true
		members := map[int]bool{}
		add := func(i int) { members[i] = true }
		// The direct members always count: with nested groups too, so a
		// directory without Active Directory's matching rule (OpenLDAP
		// answers it with nobody) falls back to them instead of unassigning
		// everyone.
		dns, err := c.groupMembers(ctx, cn, g.GroupDN, true)
		if err != nil {
			return workflow.DirectorySnapshot{}, err
		}
		if d.NestedGroups {
			filter := "(&" + d.UserFilter + "(memberOf:" + inChain + ":=" + goldap.EscapeFilter(g.GroupDN) + "))"
			if err := matched(filter, add); err != nil {
				return workflow.DirectorySnapshot{}, fmt.Errorf("group %s: %w", g.GroupDN, err)
			}
		}
		for _, dn := range dns {
			if key, ok := dnKey(dn); ok {
				if i, ok := byDN[key]; ok {
					add(i)
				}
			}
		}
		for i := range members {
			entries[i].Groups = append(entries[i].Groups, g.GroupDN)
		}
	}
	return workflow.DirectorySnapshot{Entries: entries}, nil
}

// requestedAttributes are the mapped attributes, each once.
func requestedAttributes(a workflow.DirectoryAttributes) []string {
	var attrs []string
	for _, name := range []string{a.ID, a.Login, a.Email, a.Phone, a.FirstName, a.LastName} {
		if name == "" {
			continue
		}
		dup := false
		for _, have := range attrs {
			dup = dup || strings.EqualFold(have, name)
		}
		if !dup {
			attrs = append(attrs, name)
		}
	}
	return attrs
}

// entry maps a search result; a missing value leaves its field empty.
func entry(a workflow.DirectoryAttributes, e *goldap.Entry) workflow.DirectoryEntry {
	value := func(name string) string {
		if name == "" {
			return ""
		}
		return e.GetEqualFoldAttributeValue(name)
	}
	out := workflow.DirectoryEntry{
		DN:        e.DN,
		Login:     value(a.Login),
		Email:     value(a.Email),
		Phone:     value(a.Phone),
		FirstName: value(a.FirstName),
		LastName:  value(a.LastName),
	}
	if isGUID(a.ID) {
		// A malformed objectGUID leaves the ID empty: the core reports it.
		out.ID, _ = GUIDString(e.GetEqualFoldRawAttributeValue(a.ID))
	} else {
		out.ID = value(a.ID)
	}
	return out
}

// dnKey is dn normalised for comparison: attribute types and values
// folded to lower case, spaces around separators dropped.
func dnKey(dn string) (string, bool) {
	parsed, err := goldap.ParseDN(dn)
	if err != nil || len(parsed.RDNs) == 0 {
		return "", false
	}
	return strings.ToLower(parsed.String()), true
}

// uidSuffix is the optional unique identifier uniqueMember carries after a
// DN ("#'0101'B").
var uidSuffix = regexp.MustCompile(`#'[01]*'B$`)

// groupMembers reads the group entry and returns its member DNs (member and
// uniqueMember, following Active Directory's range retrieval). With
// withMembers false it only makes sure the group exists. A group that is
// not found is an error: a sync must not unassign everyone.
func (c *Client) groupMembers(ctx context.Context, cn *conn, groupDN string, withMembers bool) ([]string, error) {
	attrs := []string{"1.1"}
	if withMembers {
		attrs = []string{"member", "uniqueMember"}
	}
	var members []string
	for round := 0; len(attrs) > 0; round++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if round > 10_000 {
			return nil, fmt.Errorf("group %s: too many member ranges", groupDN)
		}
		res, err := cn.Search(goldap.NewSearchRequest(groupDN, goldap.ScopeBaseObject, goldap.NeverDerefAliases,
			0, 0, false, "(objectClass=*)", attrs, nil))
		if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) || (err == nil && len(res.Entries) != 1) {
			return nil, fmt.Errorf("group %s: not found in the directory", groupDN)
		}
		if err != nil {
			return nil, fmt.Errorf("group %s: %w", groupDN, withContext(ctx, err))
		}
		attrs = nil
		for _, a := range res.Entries[0].Attributes {
			base, _, high, ranged := parseRange(a.Name)
			if !strings.EqualFold(base, "member") && !strings.EqualFold(base, "uniqueMember") {
				continue
			}
			for _, v := range a.Values {
				members = append(members, uidSuffix.ReplaceAllString(v, ""))
			}
			if ranged && high >= 0 {
				attrs = append(attrs, fmt.Sprintf("%s;range=%d-*", base, high+1))
			}
		}
	}
	return members, nil
}

// parseRange splits an attribute description such as "member;range=0-1499"
// (Active Directory's range retrieval) into the attribute, the range's
// first and last value number (-1 for "*": the last range) and whether it
// has a range. Without a valid range option it returns name as the
// attribute.
func parseRange(name string) (attr string, low, high int, ranged bool) {
	parts := strings.Split(name, ";")
	for i, opt := range parts[1:] {
		if len(opt) < len("range=") || !strings.EqualFold(opt[:len("range=")], "range=") {
			continue
		}
		lo, hi, ok := strings.Cut(opt[len("range="):], "-")
		if !ok {
			break
		}
		l, err := strconv.Atoi(lo)
		if err != nil || l < 0 {
			break
		}
		h := -1
		if hi != "*" {
			if h, err = strconv.Atoi(hi); err != nil || h < l {
				break
			}
		}
		return strings.Join(slices.Delete(parts, i+1, i+2), ";"), l, h, true
	}
	return name, 0, 0, false
}
