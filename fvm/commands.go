package fvm

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gofluvio/fluvio/hub"
	"github.com/gofluvio/fluvio/internal/buildinfo"
)

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

// channelFor is the versions/ directory and manifest channel of a release:
// the channel when resolved through one, else the version.
func channelFor(rel *hub.Release) Channel {
	if rel.Channel() {
		return ParseChannel(rel.Tag)
	}
	if v := hub.TagVersion(rel.Tag); v != nil {
		return Channel{Kind: KindTag, Value: rel.Version}
	}
	return Channel{Kind: KindOther, Value: rel.Tag}
}

func newInstallCmd(o *Options) *cobra.Command {
	var target, registry string
	cmd := &cobra.Command{
		Use:   "install [stable|latest|X.Y.Z|CONSTRAINT|LABEL]",
		Short: "Install a Fluvio version and switch to it (default: stable)",
		Long: `Install a Fluvio version and switch to it.

VERSION is a channel (stable, latest), a version (0.12.1), a semver
constraint (^0.12, ~0.12.1, ">=0.11 <0.13": the highest match) or a label.
Every download is checked against its digest; a bad one is refused and the
previous install is left as it was.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := "stable"
			if len(args) == 1 {
				ref = args[0]
			}
			t, err := o.target(target)
			if err != nil {
				return err
			}
			c, err := o.client(registry)
			if err != nil {
				return err
			}
			rel, err := c.Resolve(cmd.Context(), ref)
			if err != nil {
				return err
			}
			ch := channelFor(rel)
			if _, err := o.installRelease(cmd.Context(), c, rel, ch, t); err != nil {
				return err
			}
			_, err = o.activate(ch.String())
			return err
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "target triple to install (env "+EnvTarget+"; default: this machine's)")
	cmd.Flags().StringVar(&registry, "registry", "", "registry URL (env "+EnvRegistry+" or "+EnvHubRemote+")")
	return cmd
}

func newSwitchCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "switch VERSION",
		Short: "Make an installed version the active one",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				o.help("You can use fvm list to see installed versions")
				return usageError("no version provided")
			}
			dir := ParseChannel(args[0]).String()
			if _, err := os.Stat(filepath.Join(o.Home.versionDir(dir), manifestFile)); err != nil {
				o.help("Install the desired version using fvm install %s, and then retry this command.", args[0])
				return fmt.Errorf("%w: fluvio version %s is not installed", ErrNotInstalled, args[0])
			}
			_, err := o.activate(dir)
			return err
		},
	}
}

func newListCmd(o *Options) *cobra.Command {
	var remote bool
	var registry string
	cmd := &cobra.Command{
		Use:   "list [CHANNEL]",
		Short: "List installed versions (active first, marked ✓), a set's contents, or with --remote what the Hub offers",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if remote {
				return o.listRemote(cmd, registry)
			}
			if len(args) == 1 {
				m, err := o.Home.ReadManifest(ParseChannel(args[0]).String())
				if err != nil {
					return fmt.Errorf("%w: %s: %v", ErrNotInstalled, args[0], err)
				}
				if len(m.Contents) == 0 {
					o.warn("No contents recorded for %s; reinstall it with fvm install %s", args[0], args[0])
					return nil
				}
				tw := tabwriter.NewWriter(o.Out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ARTIFACT\tVERSION")
				for _, c := range m.Contents {
					fmt.Fprintf(tw, "%s\t%s\n", c.Name, c.Version)
				}
				return tw.Flush()
			}
			installed, err := o.Home.Installed()
			if errors.Is(err, os.ErrNotExist) {
				o.warn("Cannot list installed versions because there are no versions installed")
				o.help("You can install a Fluvio version using the command fvm install")
				return fmt.Errorf("%w: no versions installed", ErrNotInstalled)
			}
			if err != nil {
				return err
			}
			if len(installed) == 0 {
				o.warn("No installed versions found")
				o.help("You can install a Fluvio version using the command fvm install")
				return nil
			}
			s, err := o.Home.ReadSettings()
			if err != nil {
				return err
			}
			active := -1
			for i, m := range installed {
				if s.Channel != nil && *s.Channel == m.Channel {
					active = i
				}
			}
			if active > 0 {
				a := installed[active]
				copy(installed[1:active+1], installed[:active])
				installed[0] = a
				active = 0
			}
			tw := tabwriter.NewWriter(o.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "\tCHANNEL\tVERSION")
			for i, m := range installed {
				mark := ""
				if i == active {
					mark = " ✓"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", mark, m.Channel, m.Version)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&remote, "remote", false, "list the channels and versions the Hub offers")
	cmd.Flags().StringVar(&registry, "registry", "", "registry URL (env "+EnvRegistry+" or "+EnvHubRemote+")")
	return cmd
}

func (o *Options) listRemote(cmd *cobra.Command, registry string) error {
	c, err := o.client(registry)
	if err != nil {
		return err
	}
	tags, err := c.Tags(cmd.Context())
	if err != nil {
		return err
	}
	s, _ := o.Home.ReadSettings()
	tw := tabwriter.NewWriter(o.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tVERSION\tINSTALLED")
	installed := func(dir, version string) string {
		m, err := o.Home.ReadManifest(dir)
		if err != nil || m.Version != version {
			return ""
		}
		if s != nil && s.Channel != nil && s.Channel.String() == dir {
			return "✓ active"
		}
		return "yes"
	}
	for _, ch := range []string{hub.ChannelStable, hub.ChannelLatest} {
		if !contains(tags, ch) {
			continue
		}
		rel, err := c.Resolve(cmd.Context(), ch)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", ch, rel.Version, installed(ch, rel.Version))
	}
	type tv struct {
		tag string
		v   string
	}
	var vs []tv
	for _, t := range tags {
		if v := hub.TagVersion(t); v != nil {
			vs = append(vs, tv{t, v.Original()})
		}
	}
	sort.Slice(vs, func(i, j int) bool { return hub.TagVersion(vs[j].tag).LessThan(hub.TagVersion(vs[i].tag)) })
	for _, v := range vs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.v, v.v, installed(v.v, v.v))
	}
	return tw.Flush()
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func newCurrentCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "current",
		Short: "Print the active version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.Home.ReadSettings()
			if err != nil {
				return err
			}
			if s.Channel == nil || s.Version == "" {
				o.warn("No active version set")
				o.help("You can use fvm switch to set the active version")
				return nil
			}
			if s.Channel.IsVersionTag() {
				fmt.Fprintln(o.Out, s.Version)
			} else {
				fmt.Fprintf(o.Out, "%s (%s)\n", s.Version, s.Channel)
			}
			return nil
		},
	}
}

func newUninstallCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "uninstall [VERSION]",
		Short: "Remove an installed version (default: stable); ~/.fluvio/bin is left as it is",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "stable"
			if len(args) == 1 {
				name = args[0]
			}
			dir := ParseChannel(name).String()
			if dir == "" || dir == "." || dir == ".." || strings.ContainsAny(dir, `/\`) {
				return usageError("invalid version %q", name)
			}
			if _, err := os.Stat(o.Home.versionDir(dir)); err != nil {
				return fmt.Errorf("%w: fluvio version %s is not installed", ErrNotInstalled, name)
			}
			if err := os.RemoveAll(o.Home.versionDir(dir)); err != nil {
				return err
			}
			if s, err := o.Home.ReadSettings(); err == nil && s.Channel != nil && s.Channel.String() == dir {
				o.warn("%s was the active version; its binaries stay in %s until you switch", name, o.Home.FluvioBin())
			}
			o.done("Uninstalled fluvio version %s", name)
			return nil
		},
	}
}

func newUpdateCmd(o *Options) *cobra.Command {
	var registry string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Update the active channel (stable or latest) to its newest release",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.Home.ReadSettings()
			if err != nil {
				return err
			}
			if s.Channel == nil {
				o.info("No channel set, please set a channel first using fvm switch")
				return nil
			}
			if s.Channel.IsVersionTag() {
				o.info("Cannot update a static version tag. You must use a channel.")
				return nil
			}
			t, err := o.target("")
			if err != nil {
				return err
			}
			c, err := o.client(registry)
			if err != nil {
				return err
			}
			rel, err := c.Resolve(cmd.Context(), s.Channel.String())
			if err != nil {
				return err
			}
			if s.Version == "" {
				o.info("No installed version detected, please install a version first using fvm install")
				return nil
			}
			m, _ := o.Home.ReadManifest(s.Channel.String())
			if rel.Version == s.Version && m != nil && (m.Digest == "" || m.Digest == rel.Digest.String()) {
				o.done("You are already up to date")
				return nil
			}
			o.info("Updating fluvio %s to version %s. Current version is %s.", s.Channel, rel.Version, s.Version)
			if _, err := o.installRelease(cmd.Context(), c, rel, *s.Channel, t); err != nil {
				return err
			}
			_, err = o.activate(s.Channel.String())
			return err
		},
	}
	cmd.Flags().StringVar(&registry, "registry", "", "registry URL (env "+EnvRegistry+" or "+EnvHubRemote+")")
	return cmd
}

func newVersionCmd(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print fvm's version, target, checksum and OS",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sum := "unknown"
			if o.Exe != "" {
				if s, err := fileSHA256(o.Exe); err == nil {
					sum = s
				}
			}
			fmt.Fprintf(o.Out, "fvm CLI: %s\nfvm CLI Arch: %s\nfvm CLI SHA256: %s\nfvm CLI Git Commit: %s\nOS Details: %s %s\n",
				buildinfo.Version, o.HostTriple, sum, buildinfo.GitCommit(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func newSelfCmd(o *Options) *cobra.Command {
	self := &cobra.Command{Use: "self", Short: "Install, update or remove fvm itself"}
	var registry string
	install := &cobra.Command{
		Use:   "install",
		Short: "Install this fvm into ~/.fvm (the installer runs this)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h := o.Home
			dst := filepath.Join(h.binDir(), "fvm"+exeSuffix())
			if same, _ := sameFile(o.Exe, dst); same {
				return errors.New("FVM is already installed (run a downloaded copy to reinstall)")
			}
			for _, d := range []string{h.binDir(), h.versionsDir()} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					return err
				}
			}
			if err := copyFileAtomic(o.Exe, dst, 0o755); err != nil {
				return fmt.Errorf("install fvm: %w", err)
			}
			if err := writeFileAtomic(filepath.Join(h.Root, envFile), []byte(h.envScript()), 0o644); err != nil {
				return err
			}
			s, err := h.ReadSettings()
			if err != nil {
				return err
			}
			if registry != "" {
				if _, err := hub.ParseRepository(registry); err != nil {
					return err
				}
				s.Registry = registry
				if err := h.WriteSettings(s); err != nil {
					return err
				}
			}
			o.done("FVM installed successfully at %s", h.Root)
			o.help("Add FVM to PATH using source $HOME/%s/env", filepath.Base(h.Root))
			return nil
		},
	}
	install.Flags().StringVar(&registry, "registry", "", "registry URL to remember in settings.toml for later commands")
	var updRegistry string
	update := &cobra.Command{
		Use:   "update",
		Short: "Replace ~/.fvm/bin/fvm with the fvm of the stable release (or $" + EnvUpdateVersion + ")",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ref := os.Getenv(EnvUpdateVersion)
			if ref == "" {
				ref = hub.ChannelStable
			}
			t, err := o.target("")
			if err != nil {
				return err
			}
			c, err := o.client(updRegistry)
			if err != nil {
				return err
			}
			rel, err := c.Resolve(cmd.Context(), ref)
			if err != nil {
				return err
			}
			p, err := c.Platform(cmd.Context(), rel, t.Triple)
			if err != nil {
				return err
			}
			b, ok := p.Find("fvm")
			if !ok {
				return fmt.Errorf("%w: release %s has no fvm for %s", hub.ErrNotFound, rel.Version, t.Triple)
			}
			dst := filepath.Join(o.Home.binDir(), "fvm"+exeSuffix())
			if sum, err := fileSHA256(dst); err == nil && sum == b.Digest.Hex {
				o.done("fvm is already at %s", rel.Version)
				return nil
			}
			if err := os.MkdirAll(o.Home.binDir(), 0o755); err != nil {
				return err
			}
			o.info("Downloading fvm@%s", rel.Version)
			tmp := filepath.Join(o.Home.binDir(), ".fvm.download")
			os.Remove(tmp)
			if err := o.download(cmd.Context(), c, b, tmp); err != nil {
				os.Remove(tmp)
				return fmt.Errorf("fvm@%s: %w", rel.Version, err)
			}
			o.info("Installing fvm@%s", rel.Version)
			if err := os.Rename(tmp, dst); err != nil {
				os.Remove(tmp)
				return err
			}
			o.done("Installed fvm@%s with success", rel.Version)
			return nil
		},
	}
	update.Flags().StringVar(&updRegistry, "registry", "", "registry URL (env "+EnvRegistry+" or "+EnvHubRemote+")")
	var yes bool
	uninstall := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove ~/.fvm (asks first; --yes skips the question). ~/.fluvio is kept",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root := o.Home.Root
			if _, err := os.Stat(root); err != nil {
				o.warn("Aborting uninstallation, no FVM installation found at %s", root)
				return nil
			}
			if !yes {
				if !term.IsTerminal(int(os.Stdin.Fd())) {
					return usageError("not a terminal: pass --yes to remove %s", root)
				}
				fmt.Fprintf(o.Err, "Are you sure you want to uninstall FVM from %s? [y/N] ", root)
				line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					o.info("Uninstallation cancelled")
					return nil
				}
			}
			if err := os.RemoveAll(root); err != nil {
				return err
			}
			o.done("Fluvio Version Manager was removed from %s", root)
			return nil
		},
	}
	uninstall.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	self.AddCommand(install, update, uninstall)
	return self
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}
