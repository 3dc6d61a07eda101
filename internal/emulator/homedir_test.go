package emulator

import (
	"slices"
	"testing"
)

func TestHomeViewResolve(t *testing.T) {
	alice := UserRecord{UserName: "alice", HomeSettings: HomeSettings{HomeDirectoryType: homeDirectoryLogical, HomeDirectoryMappings: []HomeDirectoryMapEntry{
		{Entry: "/", Target: "/partners-bucket/home/${Transfer:UserName}"},
		{Entry: "/shared", Target: "/partners-bucket/shared", Type: "DIRECTORY"},
		{Entry: "/reports/latest.csv", Target: "/reports-bucket/2026/12/01.csv", Type: "FILE"},
	}}}
	virtual := UserRecord{UserName: "mary", HomeSettings: HomeSettings{HomeDirectoryType: homeDirectoryLogical, HomeDirectoryMappings: []HomeDirectoryMapEntry{
		{Entry: "/pics", Target: "/bucket1/pics"},
		{Entry: "/doc", Target: "/bucket2/test/mydocs"},
		{Entry: "/deep/a/b", Target: "/bucket3/b"},
	}}}
	path := UserRecord{UserName: "pat", HomeSettings: HomeSettings{HomeDirectoryType: homeDirectoryPath, HomeDirectory: "/bucket/home/pat"}}
	tests := []struct {
		name string
		user UserRecord
		path string
		want resolved
	}{
		{"PATH is the storage path as is", path, "/bucket/home/pat/a.txt", resolved{target: "/bucket/home/pat/a.txt", mapped: true}},
		{"PATH sees the list of buckets at /", path, "/", resolved{target: "/", mapped: true}},
		{"PATH cleans dot-dot", path, "/bucket/home/pat/../../../etc", resolved{target: "/etc", mapped: true}},
		{"LOGICAL chroot: / is the mapped home", alice, "/", resolved{target: "/partners-bucket/home/alice", mapped: true, mappedDir: true, children: []string{"reports", "shared"}}},
		{"LOGICAL ${Transfer:UserName} is expanded", alice, "/in/a.txt", resolved{target: "/partners-bucket/home/alice/in/a.txt", mapped: true}},
		{"LOGICAL longest entry wins", alice, "/shared/x", resolved{target: "/partners-bucket/shared/x", mapped: true}},
		{"LOGICAL entry itself is a mapped directory", alice, "/shared", resolved{target: "/partners-bucket/shared", mapped: true, mappedDir: true}},
		{"LOGICAL entry is a prefix of a path element only when whole", alice, "/sharedx", resolved{target: "/partners-bucket/home/alice/sharedx", mapped: true}},
		{"LOGICAL FILE entry maps exactly", alice, "/reports/latest.csv", resolved{target: "/reports-bucket/2026/12/01.csv", mapped: true, file: true}},
		{"LOGICAL FILE entry has nothing below it", alice, "/reports/latest.csv/x", resolved{target: "/partners-bucket/home/alice/reports/latest.csv/x", mapped: true}},
		{"LOGICAL parent of a FILE entry lists it", alice, "/reports", resolved{target: "/partners-bucket/home/alice/reports", mapped: true, children: []string{"latest.csv"}}},
		{"LOGICAL dot-dot cannot leave the chroot", alice, "/../../other-bucket/secret", resolved{target: "/partners-bucket/home/alice/other-bucket/secret", mapped: true}},
		{"LOGICAL relative escape from a mapping stays inside", alice, "/shared/../../..", resolved{target: "/partners-bucket/home/alice", mapped: true, mappedDir: true, children: []string{"reports", "shared"}}},
		{"LOGICAL without / mapped: root is virtual", virtual, "/", resolved{children: []string{"deep", "doc", "pics"}}},
		{"LOGICAL virtual intermediate directory", virtual, "/deep/a", resolved{children: []string{"b"}}},
		{"LOGICAL unmapped path leads nowhere", virtual, "/other", resolved{}},
		{"LOGICAL dot-dot out of a mapping leads nowhere", virtual, "/pics/../../bucket1/secret", resolved{}},
		{"LOGICAL DIRECTORY entry without a type", virtual, "/pics/cat.jpg", resolved{target: "/bucket1/pics/cat.jpg", mapped: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newHomeView(tt.user).resolve(tt.path)
			if got.target != tt.want.target || got.mapped != tt.want.mapped || got.mappedDir != tt.want.mappedDir ||
				got.file != tt.want.file || !slices.Equal(got.children, tt.want.children) {
				t.Errorf("resolve(%q) = %+v, want %+v", tt.path, got, tt.want)
			}
		})
	}
}

func TestHomeViewHome(t *testing.T) {
	tests := []struct {
		name string
		user UserRecord
		want string
	}{
		{"PATH without HomeDirectory starts at /", UserRecord{HomeSettings: HomeSettings{HomeDirectoryType: homeDirectoryPath}}, "/"},
		{"PATH starts at HomeDirectory", UserRecord{HomeSettings: HomeSettings{HomeDirectoryType: homeDirectoryPath, HomeDirectory: "/bucket/home/pat/"}}, "/bucket/home/pat"},
		{"LOGICAL starts at HomeDirectory, a logical path", UserRecord{HomeSettings: HomeSettings{HomeDirectoryType: homeDirectoryLogical, HomeDirectory: "/pics",
			HomeDirectoryMappings: []HomeDirectoryMapEntry{{Entry: "/pics", Target: "/b/p"}}}}, "/pics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newHomeView(tt.user).home; got != tt.want {
				t.Errorf("home = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSplitStoragePath(t *testing.T) {
	tests := []struct{ in, root, key string }{
		{"/", "", ""},
		{"/bucket", "bucket", ""},
		{"/bucket/", "bucket", ""},
		{"/bucket/home/alice/a.txt", "bucket", "home/alice/a.txt"},
		{"/fs-0123456789abcdef0/../../etc", "etc", ""},
	}
	for _, tt := range tests {
		if root, key := splitStoragePath(tt.in); root != tt.root || key != tt.key {
			t.Errorf("splitStoragePath(%q) = %q, %q; want %q, %q", tt.in, root, key, tt.root, tt.key)
		}
	}
}
