package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/hub"
	"github.com/gofluvio/fluvio/hub/targets"
)

// NewHubCmd is `fluvio-run hub`: serve the Hub, publish releases into any
// OCI registry, list the targets.
func NewHubCmd() *cobra.Command {
	var (
		addr, dataDir, publicURL, repo string
		verbose                        bool
	)
	cmd := &cobra.Command{
		Use:   "hub",
		Short: "Serve the Hub: an OCI registry for releases plus install.sh and fvm downloads",
		Long: `Serve the Hub: an OCI registry (blobs and manifests kept under --data-dir)
plus the plain download paths the installer uses:

  /install.sh                          curl -fsS http://HOST/install.sh | sh
  /fvm/<channel>/<triple>/fvm          fvm for a target (and fvm.sha256)
  /download/<channel>/<triple>/<bin>   any binary of a release (and <bin>.sha256)
  /hub/v1/fvm/pkgset/<channel>?arch=   Fluvio's package-set API
  /v2/                                 the OCI distribution API

Publish releases into it (or into any OCI registry) with 'fluvio-run hub publish'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dataDir == "" {
				home, err := os.UserHomeDir()
				if err != nil {
					return fmt.Errorf("hub: no --data-dir and no home directory: %w", err)
				}
				dataDir = filepath.Join(home, ".fluvio", "hub")
			}
			logger := log.New(os.Stderr, "hub: ", log.LstdFlags)
			if !verbose {
				logger = nil
			}
			srv, err := hub.NewServer(hub.ServerOptions{DataDir: dataDir, Repository: repo, PublicURL: publicURL, Log: logger})
			if err != nil {
				return err
			}
			defer srv.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("hub: listen on %s: %w", addr, err)
			}
			hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second}
			fmt.Fprintf(cmd.ErrOrStderr(), "hub: serving http://%s (data %s, repository %s)\n", ln.Addr(), dataDir, repoOrDefault(repo))
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case <-cmd.Context().Done():
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				return hs.Shutdown(ctx)
			case err := <-errc:
				if errors.Is(err, http.ErrServerClosed) {
					return nil
				}
				return fmt.Errorf("hub: serve: %w", err)
			}
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8090", "address to listen on")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "where blobs and manifests are kept (default ~/.fluvio/hub)")
	cmd.Flags().StringVar(&publicURL, "public-url", "", "URL clients reach this Hub at, written into install.sh (default: from each request's Host)")
	cmd.Flags().StringVar(&repo, "repository", hub.DefaultRepository, "repository the download paths read releases from")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log every registry request to stderr")
	cmd.AddCommand(newHubPublishCmd(), newHubPromoteCmd(), newHubTargetsCmd())
	return cmd
}

func repoOrDefault(r string) string {
	if r == "" {
		return hub.DefaultRepository
	}
	return r
}

func newHubPublishCmd() *cobra.Command {
	var (
		registry, dist, version string
		channels                []string
		quiet                   bool
	)
	cmd := &cobra.Command{
		Use:   "publish --registry URL --dist DIR [--version X.Y.Z] [--channel stable] [--channel latest]",
		Short: "Push a goreleaser dist into any OCI registry as a release and move channel tags",
		Example: `  fluvio-run hub publish --registry http://127.0.0.1:8090 --dist dist --channel stable --channel latest
  fluvio-run hub publish --registry https://ghcr.io/OWNER/fluvio --dist dist --version 0.2.0 --channel latest`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := hub.ReadDist(dist)
			if err != nil {
				return err
			}
			c, err := hub.NewClient(registry, nil)
			if err != nil {
				return err
			}
			o := hub.PublishOptions{Dist: d, Version: version, Channels: channels}
			if !quiet {
				o.Progress = cmd.ErrOrStderr()
			}
			p, err := c.Publish(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s\n", p.Version, p.Digest, strings.Join(p.Tags, ","))
			return nil
		},
	}
	cmd.Flags().StringVar(&registry, "registry", "", "registry URL, with the repository as its path (default repository "+hub.DefaultRepository+")")
	cmd.Flags().StringVar(&dist, "dist", "dist", "goreleaser dist directory (metadata.json, artifacts.json, binaries)")
	cmd.Flags().StringVar(&version, "version", "", "version to publish as (default: the dist's metadata.json)")
	cmd.Flags().StringArrayVar(&channels, "channel", nil, "channel tag to move to this release: stable or latest (repeatable)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the result line")
	_ = cmd.MarkFlagRequired("registry")
	return cmd
}

func newHubPromoteCmd() *cobra.Command {
	var (
		registry, version string
		channels          []string
	)
	cmd := &cobra.Command{
		Use:   "promote --registry URL --version X.Y.Z --channel stable",
		Short: "Move channel tags to an already published version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(channels) == 0 {
				return errors.New("hub promote: name at least one --channel (stable or latest)")
			}
			c, err := hub.NewClient(registry, nil)
			if err != nil {
				return err
			}
			return c.Promote(cmd.Context(), version, channels)
		},
	}
	cmd.Flags().StringVar(&registry, "registry", "", "registry URL, with the repository as its path")
	cmd.Flags().StringVar(&version, "version", "", "published version")
	cmd.Flags().StringArrayVar(&channels, "channel", nil, "channel tag to move: stable or latest (repeatable)")
	_ = cmd.MarkFlagRequired("registry")
	_ = cmd.MarkFlagRequired("version")
	return cmd
}

func newHubTargetsCmd() *cobra.Command {
	var ciMatrix, asJSON bool
	cmd := &cobra.Command{
		Use:   "targets",
		Short: "List the targets of tiers.yaml: triple, GOOS, GOARCH, GOARM, tier, binaries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			all := targets.All()
			switch {
			case asJSON:
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(all)
			case ciMatrix:
				for _, t := range all {
					fmt.Fprintf(out, "          - {triple: %s, goos: %s, goarch: %s, goarm: %q, tier: %d, binaries: %s}\n",
						t.Triple, t.GOOS, t.GOARCH, t.GOARM, t.Tier, strings.Join(t.Binaries, " "))
				}
				return nil
			}
			fmt.Fprintln(out, "TRIPLE\tGOOS\tGOARCH\tGOARM\tTIER\tBINARIES")
			for _, t := range all {
				goarm := t.GOARM
				if goarm == "" {
					goarm = "-"
				}
				fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%d\t%s\n", t.Triple, t.GOOS, t.GOARCH, goarm, t.Tier, strings.Join(t.Binaries, " "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&ciMatrix, "ci-matrix", false, "print the include list of the cross job in .github/workflows/ci.yml")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
