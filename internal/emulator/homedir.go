package emulator

import (
	"path"
	"slices"
	"strings"
)

// homeView is what a logged-in user sees of the server's storage: the paths
// of the session (what the SFTP client shows) and the storage path each one
// stands for ("/" + bucket or file system ID + "/" + key, as HomeDirectory
// and mapping targets are written).
//
// SDK CreateUserInput.HomeDirectoryType: "If you set it to PATH, the user
// will see the absolute Amazon S3 bucket or Amazon EFS path as is in their
// file transfer protocol clients. If you set it to LOGICAL, you need to
// provide mappings in the HomeDirectoryMappings for how you want to make
// Amazon S3 or Amazon EFS paths visible to your users." A PATH user is
// therefore not locked in: what it may touch is decided by its role and
// session policy, which the emulator does not evaluate (docs/emulator.md).
type homeView struct {
	logical bool
	// mappings are the LOGICAL entries, longest Entry first.
	mappings []HomeDirectoryMapEntry
	// home is the directory the session starts in.
	home string
}

// newHomeView returns the view of u. SDK CreateUserInput.HomeDirectory: "The
// landing directory (folder) for a user when they log in to the server using
// the client. A HomeDirectory example is /bucket_name/home/mydirectory. You
// can use the HomeDirectory parameter for HomeDirectoryType when it is set to
// either PATH or LOGICAL." Without one the session starts at "/". Mapping
// targets are expanded again for ${Transfer:UserName} because an out-of-band
// change (ModifyUser) stores them unexpanded.
func newHomeView(u UserRecord) homeView {
	v := homeView{logical: u.HomeDirectoryType == homeDirectoryLogical, home: cleanSessionPath(u.HomeDirectory)}
	if !v.logical {
		return v
	}
	for _, m := range withDefaultMapType(expandUserName(u.HomeDirectoryMappings, u.UserName)) {
		m.Entry, m.Target = cleanSessionPath(m.Entry), cleanSessionPath(m.Target)
		v.mappings = append(v.mappings, m)
	}
	slices.SortStableFunc(v.mappings, func(a, b HomeDirectoryMapEntry) int { return len(b.Entry) - len(a.Entry) })
	return v
}

// cleanSessionPath makes p absolute and removes "." and ".." elements, never
// going above "/": a client's "/../../etc" is "/etc" of the session. The user
// guide ("Using logical directories"): logical mappings "forbid relative
// paths that traverse the logical roots. Transfer Family validates every path
// that might include relative elements and actively blocks these paths from
// resolving".
func cleanSessionPath(p string) string {
	return path.Clean("/" + p)
}

// resolved is where a session path leads.
type resolved struct {
	// target is the storage path ("/bucket/key"), when the path is mapped.
	target string
	// mapped is false for a path that leads nowhere in storage: a LOGICAL
	// path that is no mapping's entry nor below one.
	mapped bool
	// mappedDir is true when the path is exactly a DIRECTORY mapping's
	// entry, which is a directory even while its target is empty.
	mappedDir bool
	// file is true when the path is exactly a FILE mapping's entry.
	file bool
	// children are the names of virtual directories under the path: the
	// next element of each mapping entry below it.
	children []string
}

// resolve maps a session path to storage. For PATH the session path is the
// storage path. For LOGICAL the longest mapping whose Entry is the path or an
// ancestor of it decides: a DIRECTORY mapping takes the rest of the path
// along, a FILE mapping (SDK HomeDirectoryMapEntry.Type: "Set the type to
// FILE if you want the mapping to point to a file") matches its entry
// exactly. Entries below the path show as directories, so a user with
// /pics and /doc sees both in "/" (user guide, "Configure logical
// directories examples").
func (v homeView) resolve(p string) resolved {
	p = cleanSessionPath(p)
	if !v.logical {
		return resolved{target: p, mapped: true}
	}
	var r resolved
	for _, m := range v.mappings {
		rest, ok := below(p, m.Entry)
		if !ok || (m.Type == "FILE" && rest != "") {
			continue
		}
		if m.Type == "FILE" {
			return resolved{target: m.Target, mapped: true, file: true}
		}
		r = resolved{target: path.Join(m.Target, rest), mapped: true, mappedDir: rest == ""}
		break
	}
	for _, m := range v.mappings {
		if rest, ok := below(m.Entry, p); ok && rest != "" {
			child, _, _ := strings.Cut(rest, "/")
			if !slices.Contains(r.children, child) {
				r.children = append(r.children, child)
			}
		}
	}
	slices.Sort(r.children)
	return r
}

// below reports whether p is dir or inside it, and the path of p relative
// to dir ("" for dir itself). Both are clean absolute paths.
func below(p, dir string) (string, bool) {
	if p == dir {
		return "", true
	}
	if dir == "/" {
		return p[1:], true
	}
	if rest, ok := strings.CutPrefix(p, dir+"/"); ok {
		return rest, true
	}
	return "", false
}

// splitStoragePath splits a storage path into its root (S3 bucket or EFS
// file system ID, "" for "/") and the key below it ("" for the root itself).
func splitStoragePath(target string) (root, key string) {
	root, key, _ = strings.Cut(strings.TrimPrefix(cleanSessionPath(target), "/"), "/")
	return root, key
}
