package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// debianRoot is where Debian and Ubuntu install one directory per major
// version.
const debianRoot = "/usr/lib/postgresql"

// binaries are the PostgreSQL server programs pgembed runs.
type binaries struct {
	dir      string
	initdb   string
	postgres string
}

// findBinaries locates initdb and postgres: in path (or path/bin) when given,
// else in the locally installed PostgreSQL.
func findBinaries(ctx context.Context, path string) (binaries, error) {
	if path != "" {
		for _, dir := range []string{path, filepath.Join(path, "bin")} {
			if bin, ok := serverBinaries(dir); ok {
				return bin, nil
			}
		}
		return binaries{}, fmt.Errorf("BinariesPath %s holds no PostgreSQL server programs (initdb and postgres)", path)
	}

	var candidates []string
	if out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	candidates = append(candidates, versionedBinDirs(debianRoot)...)
	if initdb, err := exec.LookPath("initdb"); err == nil {
		candidates = append(candidates, filepath.Dir(initdb))
	}
	for _, dir := range candidates {
		if bin, ok := serverBinaries(dir); ok {
			return bin, nil
		}
	}
	return binaries{}, errors.New("no PostgreSQL server found (looked at pg_config --bindir, " + debianRoot +
		"/*/bin and PATH): install PostgreSQL (e.g. apt-get install postgresql) or set DATABASE_URL")
}

// versionedBinDirs returns root/<version>/bin directories, newest first.
func versionedBinDirs(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	type dir struct {
		path    string
		version float64
	}
	var dirs []dir
	for _, e := range entries {
		v, err := strconv.ParseFloat(e.Name(), 64) // "15", "9.6"
		if err != nil {
			continue
		}
		dirs = append(dirs, dir{filepath.Join(root, e.Name(), "bin"), v})
	}
	slices.SortFunc(dirs, func(a, b dir) int {
		switch {
		case a.version > b.version:
			return -1
		case a.version < b.version:
			return 1
		}
		return 0
	})
	paths := make([]string, len(dirs))
	for i, d := range dirs {
		paths[i] = d.path
	}
	return paths
}

func serverBinaries(dir string) (binaries, bool) {
	bin := binaries{
		dir:      dir,
		initdb:   filepath.Join(dir, "initdb"),
		postgres: filepath.Join(dir, "postgres"),
	}
	for _, p := range []string{bin.initdb, bin.postgres} {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return binaries{}, false
		}
	}
	return bin, true
}

// version returns the server's version, e.g. "15.20".
func (b binaries) version(ctx context.Context) (string, error) {
	// postgres answers --version before its refusal to run as root.
	out, err := exec.CommandContext(ctx, b.postgres, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", b.postgres, err)
	}
	v, ok := parseVersion(string(out))
	if !ok {
		return "", fmt.Errorf("%s --version: unexpected output %q", b.postgres, out)
	}
	return v, nil
}

// parseVersion extracts "15.20" from
// "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)".
func parseVersion(out string) (string, bool) {
	_, after, ok := strings.Cut(out, "(PostgreSQL) ")
	if !ok {
		return "", false
	}
	fields := strings.Fields(after)
	if len(fields) == 0 || fields[0][0] < '0' || fields[0][0] > '9' {
		return "", false
	}
	return fields[0], true
}
