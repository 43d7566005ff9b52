package cli

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/identity"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

func initCmd() *cobra.Command {
	var o node.InitOptions
	c := &cobra.Command{
		Use:   "init --dir DIR --party CODE --name NAME [--listen HOST:PORT]",
		Short: "Create a node: configuration, keys, TLS certificate and database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := node.Init(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created node %s (%s) in %s\nlistens on %s; start it with: liaison serve --dir %s\n",
				cfg.Party, cfg.Name, o.Dir, cfg.Listen, o.Dir)
			return nil
		},
	}
	c.Flags().StringVar(&o.Dir, "dir", "", "node directory to create (required)")
	c.Flags().StringVar(&o.Party, "party", "", "party code, e.g. US or CN (required)")
	c.Flags().StringVar(&o.Name, "name", "", "party display name (required)")
	c.Flags().StringVar(&o.Listen, "listen", "127.0.0.1:8443", "HTTPS listen address")
	c.Flags().StringVar(&o.Database, "database", "", "postgres:// URL (default: SQLite in the node directory)")
	c.Flags().StringVar(&o.TimeZone, "time-zone", "UTC", "the party's IANA time zone")
	for _, f := range []string{"dir", "party", "name"} {
		c.MarkFlagRequired(f)
	}
	return c
}

func serveCmd() *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "serve --dir DIR",
		Short: "Run the node's HTTPS server until SIGTERM or SIGINT",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usageError{fmt.Errorf("--dir is required")}
			}
			n, err := node.Open(cmd.Context(), dir, nil)
			if err != nil {
				return err
			}
			defer n.Close()
			ln, err := n.Listen()
			if err != nil {
				return err
			}
			return n.Serve(cmd.Context(), ln)
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	return c
}

func userCmd() *cobra.Command {
	c := &cobra.Command{Use: "user", Short: "Manage accounts"}
	var dir, password string
	var n auth.NewUser
	var passwordStdin bool
	add := &cobra.Command{
		Use:   "add --dir DIR --username NAME --agency CODE --role ROLE[,ROLE]",
		Short: "Create an account; without a password one is generated and shown once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			generated := false
			switch {
			case passwordStdin:
				b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), auth.MaxPasswordLen+2))
				if err != nil {
					return err
				}
				n.Password = strings.TrimRight(string(b), "\r\n")
			case password != "":
				n.Password = password
			default:
				n.Password, generated = newPassword(), true
			}
			if n.DisplayName == "" {
				n.DisplayName = n.Username
			}
			return withNode(cmd, dir, func(nd *node.Node) error {
				u, err := nd.Auth.CreateUser(cmd.Context(), actor(), n)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created user %s (%s) of %s with roles %s\n", u.Username, u.ID, u.Agency, strings.Join(u.Roles, ","))
				if generated {
					fmt.Fprintf(cmd.OutOrStdout(), "password (shown once): %s\n", n.Password)
				}
				return nil
			})
		},
	}
	add.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	add.Flags().StringVar(&n.Username, "username", "", "login name (required)")
	add.Flags().StringVar(&n.DisplayName, "display-name", "", "full name")
	add.Flags().StringVar(&n.Agency, "agency", "", "agency code (required)")
	add.Flags().StringSliceVar(&n.Roles, "role", nil, "roles: admin, liaison_officer, central_authority, analyst, supervisor, auditor")
	add.Flags().StringVar(&n.Language, "language", "en", "console language: en or zh-CN")
	add.Flags().StringVar(&n.TimeZone, "time-zone", "UTC", "IANA time zone")
	add.Flags().StringVar(&password, "password", "", "password (prefer --password-stdin: flags show in process lists)")
	add.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")

	var ldir string
	list := &cobra.Command{
		Use: "list --dir DIR", Short: "List accounts", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, ldir, func(nd *node.Node) error {
				users, err := nd.Store.ListUsers(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "USERNAME\tAGENCY\tROLES\tDISABLED")
				for _, u := range users {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", u.Username, u.Agency, strings.Join(u.Roles, ","), u.Disabled)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&ldir, "dir", "", "node directory (required)")
	c.AddCommand(add, list)
	return c
}

func newPassword() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenCmd() *cobra.Command {
	c := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	var dir, username, name string
	var ttl time.Duration
	create := &cobra.Command{
		Use:   "create --dir DIR --user NAME --name LABEL [--ttl 720h]",
		Short: "Issue an API token; the secret is shown once and stored only as a hash",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(nd *node.Node) error {
				u, err := nd.Store.GetUserByName(cmd.Context(), username)
				if err != nil {
					return fmt.Errorf("user %q: %w", username, err)
				}
				secret, tok, err := nd.Auth.CreateToken(cmd.Context(), actor(), u.ID, name, ttl)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "token %s for %s created; the secret below is shown once\n", tok.ID, u.Username)
				fmt.Fprintln(cmd.OutOrStdout(), secret)
				return nil
			})
		},
	}
	create.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	create.Flags().StringVar(&username, "user", "", "the token's user (required)")
	create.Flags().StringVar(&name, "name", "", "what the token is for (required)")
	create.Flags().DurationVar(&ttl, "ttl", 0, "lifetime (0: no expiry; at most 8784h)")
	create.MarkFlagRequired("user")
	create.MarkFlagRequired("name")
	c.AddCommand(create)
	return c
}

func agencyCmd() *cobra.Command {
	c := &cobra.Command{Use: "agency", Short: "Manage the party's agencies"}
	var dir string
	var a store.Agency
	add := &cobra.Command{
		Use: "add --dir DIR --code CODE --name NAME --kind KIND", Short: "Add an agency", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(nd *node.Node) error {
				a, err := nd.Directory.CreateAgency(cmd.Context(), actor(), a)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created agency %s (%s)\n", a.Code, a.Name)
				return nil
			})
		},
	}
	add.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	add.Flags().StringVar(&a.Code, "code", "", "short code, e.g. FBI")
	add.Flags().StringVar(&a.Name, "name", "", "full name")
	add.Flags().StringVar(&a.Kind, "kind", "", "justice, police, homeland_security, cert, prosecutor, regulator or other")
	c.AddCommand(add)
	return c
}

func contactCmd() *cobra.Command {
	c := &cobra.Command{Use: "contact", Short: "Manage the 24/7 points of contact"}
	var dir string
	var ct store.Contact
	add := &cobra.Command{
		Use: "add --dir DIR --agency CODE --name NAME --role ROLE --language en --time-zone TZ [--phone P] [--email E]", Short: "Add a point of contact", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(nd *node.Node) error {
				ct, err := nd.Directory.CreateContact(cmd.Context(), actor(), ct)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created contact %s (%s)\n", ct.ID, ct.Name)
				return nil
			})
		},
	}
	add.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	add.Flags().StringVar(&ct.Agency, "agency", "", "agency code")
	add.Flags().StringVar(&ct.Name, "name", "", "name")
	add.Flags().StringVar(&ct.Role, "role", "", "role, e.g. 24/7 duty officer")
	add.Flags().StringSliceVar(&ct.Languages, "language", nil, "languages spoken (repeatable)")
	add.Flags().StringVar(&ct.TimeZone, "time-zone", "", "IANA time zone")
	add.Flags().StringVar(&ct.Phone, "phone", "", "international phone number")
	add.Flags().StringVar(&ct.Email, "email", "", "e-mail address")
	c.AddCommand(add)
	return c
}

func peerCmd() *cobra.Command {
	c := &cobra.Command{Use: "peer", Short: "Pair with other parties' nodes"}
	var dir string
	add := &cobra.Command{
		Use:   "add --dir DIR DESCRIPTOR",
		Short: "Import a peer's signed descriptor (a file, or - for standard input) and pin its keys",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var b []byte
			var err error
			if args[0] == "-" {
				b, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), identity.MaxDescriptorBytes+1))
			} else {
				b, err = os.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			return withNode(cmd, dir, func(nd *node.Node) error {
				p, err := nd.Peers.Add(cmd.Context(), actor(), b)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "paired with %s (%s) at %s\n  signing key %s\n  TLS certificate %s\n",
					p.Party, p.Name, p.Endpoint, identity.KeyFingerprint(p.SigningKey), p.TLSFingerprint)
				return nil
			})
		},
	}
	add.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	var ldir string
	var asJSON bool
	list := &cobra.Command{
		Use: "list --dir DIR [--json]", Short: "List paired peers", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, ldir, func(nd *node.Node) error {
				// Each peer with its last contact, queue depth and health.
				peers, err := federation.PeerStatuses(cmd.Context(), nd.Store)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), peers)
				}
				return printPeerStatuses(cmd, peers, false)
			})
		},
	}
	list.Flags().StringVar(&ldir, "dir", "", "node directory (required)")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(add, list)
	return c
}

func descriptorCmd() *cobra.Command {
	var dir, out string
	c := &cobra.Command{
		Use:   "descriptor --dir DIR [--out FILE]",
		Short: "Export this node's signed descriptor (keys, endpoint, 24/7 directory) for peers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(nd *node.Node) error {
				b, err := nd.Descriptor(cmd.Context())
				if err != nil {
					return err
				}
				if out == "" {
					_, err = cmd.OutOrStdout().Write(append(b, '\n'))
					return err
				}
				return os.WriteFile(out, b, 0o644)
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().StringVar(&out, "out", "", "write to FILE instead of standard output")
	return c
}
