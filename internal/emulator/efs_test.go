package emulator_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"golang.org/x/crypto/ssh"
)

// TestSFTPEFSConfined: symbolic links placed in a file system's directory,
// or standing for one under the EFS root, lead nowhere outside it: reads,
// listings, writes, directories, renames and removals through them fail and
// leave the outside directory as it was.
func TestSFTPEFSConfined(t *testing.T) {
	f := startDataPlane(t, &transfer.CreateServerInput{Domain: types.DomainEfs})
	signer, pub := newUserSigner(t)
	f.createUser(t, &transfer.CreateUserInput{
		UserName: aws.String("eve"), SshPublicKeyBody: aws.String(pub), HomeDirectory: aws.String("/"),
		PosixProfile: &types.PosixProfile{Uid: aws.Int64(1001), Gid: aws.Int64(1001)},
	})
	const fsID, linkedFS = "fs-0123456789abcdef0", "fs-00000000000000bad"
	outside := t.TempDir()
	mustNoErr(t, os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644), "write the outside file")
	mustNoErr(t, os.Mkdir(filepath.Join(f.efsRoot, fsID), 0o755), "mkdir the file system")
	mustNoErr(t, os.Symlink(outside, filepath.Join(f.efsRoot, fsID, "link")), "symlink to a directory outside")
	mustNoErr(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(f.efsRoot, fsID, "secret.txt")), "symlink to a file outside")
	mustNoErr(t, os.Symlink(outside, filepath.Join(f.efsRoot, linkedFS)), "symlinked file system")
	c, err := f.login(t, "eve", ssh.PublicKeys(signer))
	mustNoErr(t, err, "login")
	putFile(t, c, "/"+fsID+"/inside.txt", "inside")

	for _, p := range []string{"/" + fsID + "/link/secret.txt", "/" + fsID + "/secret.txt", "/" + linkedFS + "/secret.txt"} {
		if r, err := c.Open(p); err == nil {
			data, err := io.ReadAll(r)
			_ = r.Close()
			if err == nil {
				t.Errorf("read %s through a symbolic link: %q", p, data)
			}
		}
		if _, err := c.Stat(p); err == nil {
			t.Errorf("stat %s through a symbolic link succeeded", p)
		}
	}
	for _, dir := range []string{"/" + fsID + "/link", "/" + linkedFS} {
		if entries, err := c.ReadDir(dir); err == nil {
			t.Errorf("listing %s through a symbolic link: %d entries", dir, len(entries))
		}
		if w, err := c.Create(dir + "/planted.txt"); err == nil {
			_, _ = w.Write([]byte("planted"))
			_ = w.Close()
		}
		if err := c.Mkdir(dir + "/planted-dir"); err == nil {
			t.Errorf("mkdir in %s through a symbolic link succeeded", dir)
		}
	}
	if err := c.Rename("/"+fsID+"/inside.txt", "/"+fsID+"/link/moved.txt"); err == nil {
		t.Error("rename through a symbolic link succeeded")
	}
	if err := c.Remove("/" + fsID + "/link/secret.txt"); err == nil {
		t.Error("remove through a symbolic link succeeded")
	}

	entries, err := os.ReadDir(outside)
	mustNoErr(t, err, "read the outside directory")
	if len(entries) != 1 || entries[0].Name() != "secret.txt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the outside directory holds %v, want only secret.txt", names)
	}
}

// TestSFTPEFSNoSideEffects: listing, reading or stating a file system that
// does not exist answers not found and creates nothing; mkdir of the file
// system makes it.
func TestSFTPEFSNoSideEffects(t *testing.T) {
	f := startDataPlane(t, &transfer.CreateServerInput{Domain: types.DomainEfs})
	signer, pub := newUserSigner(t)
	f.createUser(t, &transfer.CreateUserInput{UserName: aws.String("lou"), SshPublicKeyBody: aws.String(pub), HomeDirectory: aws.String("/")})
	c, err := f.login(t, "lou", ssh.PublicKeys(signer))
	mustNoErr(t, err, "login")

	const fsID = "fs-0000000000000abc1"
	if _, err := c.ReadDir("/" + fsID); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("listing a missing file system: %v, want not found", err)
	}
	if _, err := c.Stat("/" + fsID + "/x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat in a missing file system: %v, want not found", err)
	}
	if _, err := c.Open("/" + fsID + "/x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("open in a missing file system: %v, want not found", err)
	}
	if _, err := os.Lstat(filepath.Join(f.efsRoot, fsID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reads made the file system's directory: %v", err)
	}
	if names := readDirNames(t, c, "/"); len(names) != 0 {
		t.Errorf("/ lists %v, want no file systems", names)
	}
	mustNoErr(t, c.Mkdir("/"+fsID), "mkdir of the file system")
	if info, err := os.Stat(filepath.Join(f.efsRoot, fsID)); err != nil || !info.IsDir() {
		t.Errorf("mkdir of the file system made %v, %v; want its directory", info, err)
	}
}
