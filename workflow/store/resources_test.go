package store_test

import (
	"context"
	"slices"
	"testing"

	"tokenportal/workflow"
	"tokenportal/workflow/store"
	"tokenportal/workflow/store/storetest"
)

// ResourceNames lists what ListResources lists, in the same order, without
// the counts.
func TestResourceNamesMatchListResources(t *testing.T) {
	ctx := context.Background()
	db := store.New(storetest.Pool(t))
	for _, name := range []string{"names b VPN", "Names A VPN", "names c VPN"} {
		r := workflow.Resource{Name: name}
		if err := db.CreateResource(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	full, err := db.ListResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names, err := db.ResourceNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(full) || len(names) < 3 {
		t.Fatalf("%d names, %d resources", len(names), len(full))
	}
	for i := range names {
		if names[i].ID != full[i].ID || names[i].Name != full[i].Name {
			t.Fatalf("row %d: %+v, want %+v", i, names[i], full[i])
		}
	}
	i := slices.IndexFunc(names, func(r workflow.Resource) bool { return r.Name == "Names A VPN" })
	if i < 0 || i+2 >= len(names) || names[i+1].Name != "names b VPN" || names[i+2].Name != "names c VPN" {
		t.Fatalf("not ordered by name regardless of case: %+v", names)
	}
}
