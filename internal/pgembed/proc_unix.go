//go:build unix

package pgembed

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// account is the unprivileged user initdb and postgres run as when we are
// root. A nil *account means "as ourselves".
type account struct {
	name     string
	uid, gid uint32
}

// serverAccount returns nil unless we are root. As root it picks the owner of
// an existing cluster, so that a data dir initialized by someone else stays
// usable, else the postgres user, else nobody.
func serverAccount(cluster string) (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if fi, err := os.Stat(cluster); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
			name := strconv.FormatUint(uint64(st.Uid), 10)
			if u, err := user.LookupId(name); err == nil {
				name = u.Username
			}
			return &account{name: name, uid: st.Uid, gid: st.Gid}, nil
		}
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, uidErr := strconv.ParseUint(u.Uid, 10, 32)
		gid, gidErr := strconv.ParseUint(u.Gid, 10, 32)
		if uidErr != nil || gidErr != nil || uid == 0 {
			continue
		}
		return &account{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, which initdb and postgres refuse, and there is no unprivileged " +
		"user (postgres or nobody) to run them as: create one, run alignbot as another user, or set DATABASE_URL")
}

func (a *account) chown(path string) error {
	if a == nil {
		return nil
	}
	return os.Chown(path, int(a.uid), int(a.gid))
}

// credential drops root: the uid and gid of a, and no supplementary groups.
func (a *account) credential() *syscall.Credential {
	return &syscall.Credential{Uid: a.uid, Gid: a.gid}
}

// unreachableError explains a failure to start a program in dir as a: the
// child changes directory after dropping root, so a data dir hidden behind a
// private directory fails there.
func unreachableError(err error, dir string, a *account) error {
	if a == nil || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	blocking := firstUntraversable(dir, a)
	if blocking == "" {
		return err
	}
	return fmt.Errorf("user %s, which runs PostgreSQL because we are root, cannot reach %s: "+
		"%s is not traversable by it (chmod o+x, or use another data dir), or set DATABASE_URL: %w",
		a.name, dir, blocking, err)
}

// firstUntraversable returns the first directory on the way to dir that a
// cannot enter, judging by mode bits (ACLs aside), or "".
func firstUntraversable(dir string, a *account) string {
	path := string(filepath.Separator)
	for _, part := range append([]string{""}, strings.Split(filepath.Clean(dir), string(filepath.Separator))...) {
		path = filepath.Join(path, part)
		fi, err := os.Stat(path)
		if err != nil {
			return ""
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return ""
		}
		var bit fs.FileMode
		switch {
		case st.Uid == a.uid:
			bit = 0o100
		case st.Gid == a.gid:
			bit = 0o010
		default:
			bit = 0o001
		}
		if fi.Mode().Perm()&bit == 0 {
			return path
		}
	}
	return ""
}

func interrupt(p *os.Process) error { return p.Signal(syscall.SIGINT) }

func quit(p *os.Process) error { return p.Signal(syscall.SIGQUIT) }

// alive reports whether process pid exists, as postgres decides whether a
// lock file is stale: a process we may not signal exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
