package revert

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gitcanary/gitcanary/gitsource"
)

// maxFiles bounds the YAML files read from a checkout.
const maxFiles = 20000

// readYAMLFiles reads the YAML files of a checkout (regular files only, each at most maxFile),
// by slash path relative to root.
func readYAMLFiles(root string) (Files, error) {
	out := Files{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		ext := path.Ext(d.Name())
		if !d.Type().IsRegular() || (ext != ".yaml" && ext != ".yml" && d.Name() != "Kustomization") {
			return nil
		}
		if len(out) >= maxFiles {
			return fmt.Errorf("more than %d YAML files", maxFiles)
		}
		info, err := d.Info()
		if err != nil || info.Size() > maxFile {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the YAML files of %s: %w", root, err)
	}
	return out, nil
}

// copyTree copies the regular files, directories and symbolic links of src into a fresh dst.
func copyTree(src, dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return copyFile(p, target)
		}
		return nil
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// message is the revert commit's message: what failed, what is restored, how, and trailers.
func message(f Failure, e Edit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Revert %s/%s to its promoted revision", f.Namespace, f.Canary)
	if f.Reason != "" {
		fmt.Fprintf(&b, " (%s)", oneLine(f.Reason))
	}
	fmt.Fprintf(&b, "\n\nThe analysis of %s/%s failed on the revision of %s and gitcanary rolled it back\n"+
		"to the revision promoted from %s. This commit makes %s render that revision again,\n"+
		"so Git says what the cluster runs:\n\n", f.Namespace, f.Canary, gitsource.ShortSHA(f.FailedCommit),
		gitsource.ShortSHA(f.PromotedCommit), f.Overlay)
	for _, c := range e.Changes {
		b.WriteString("- " + c + "\n")
	}
	fmt.Fprintf(&b, "\nCanary: %s/%s\nFailed-Commit: %s\nPromoted-Commit: %s\n", f.Namespace, f.Canary, f.FailedCommit, f.PromotedCommit)
	if f.LedgerCommit != "" {
		fmt.Fprintf(&b, "Ledger-Commit: %s\n", f.LedgerCommit)
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
