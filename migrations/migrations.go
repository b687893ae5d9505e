// Package migrations holds the numbered SQL files that build the database.
// They are embedded in the binary and applied by `tokenportal migrate` (and by
// `serve` at start) through jackc/tern.
package migrations

import "embed"

// FS holds every migration, named NNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
