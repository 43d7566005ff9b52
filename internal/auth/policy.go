// Package auth holds accounts, roles and the one authorization policy of a
// node: who may do what is decided here and nowhere else, and anything not
// granted is denied.
package auth

import "slices"

// Role is what a user does at the node.
type Role string

// The roles of DESIGN.md.
const (
	Admin            Role = "admin"             // runs the node: agencies, users, peers
	Officer          Role = "liaison_officer"   // the 24/7 desk
	CentralAuthority Role = "central_authority" // mutual legal assistance
	Analyst          Role = "analyst"           // threat intelligence
	Supervisor       Role = "supervisor"        // escalations, dialogue reports
	Auditor          Role = "auditor"           // read-only, verification
)

// Roles lists every role.
var Roles = []Role{Admin, Officer, CentralAuthority, Analyst, Supervisor, Auditor}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return slices.Contains(Roles, Role(r)) }

// Permission is one thing a route or command needs.
type Permission string

// Permissions. Each route of the API declares exactly one.
const (
	NodeRead        Permission = "node.read"        // the node's own identity and descriptor
	SelfManage      Permission = "self.manage"      // one's own profile and API tokens
	AgencyManage    Permission = "agency.manage"    // create agencies
	UserRead        Permission = "user.read"        // list accounts
	UserManage      Permission = "user.manage"      // create, disable accounts; others' tokens
	DirectoryRead   Permission = "directory.read"   // points of contact and the on-call roster
	DirectoryManage Permission = "directory.manage" // edit contacts and roster
	PeerRead        Permission = "peer.read"        // paired peers and their health
	PeerManage      Permission = "peer.manage"      // pair and update peers
	AuditRead       Permission = "audit.read"       // the audit trail
	IntelRead       Permission = "intel.read"       // threat intelligence (subject to collection grants)
	IntelWrite      Permission = "intel.write"      // add and remove intelligence (subject to grants)
	IntelManage     Permission = "intel.manage"     // create collections and set their grants
	RequestRead     Permission = "request.read"     // requests for assistance (subject to type routing and confidentiality)
	RequestWrite    Permission = "request.write"    // create and act on requests (the type decides which role)
	HotlineRead     Permission = "hotline.read"     // hotline calls, drills and notices
	HotlineOperate  Permission = "hotline.operate"  // acknowledge calls, run and schedule drills
	SampleRead      Permission = "sample.read"      // the bytes of malware samples and documents (subject to collection grants)
	SampleWrite     Permission = "sample.write"     // upload samples and analysis documents (subject to grants)
	LedgerRead      Permission = "ledger.read"      // the transparency log: checkpoints, proofs, export, alarms
	ProgressRead    Permission = "progress.read"    // dialogue rounds, commitments, metrics and reports
	ProgressManage  Permission = "progress.manage"  // import rounds, update commitments
	ReportVerify    Permission = "report.verify"    // verify and cosign a peer's progress report
	CaseRead        Permission = "case.read"        // joint cases and leads (subject to participation and agency)
	CaseWrite       Permission = "case.write"       // open and work joint cases, send and decide leads
)

var everyone = Roles

// policy is the whole authorization table. A permission missing here is
// granted to nobody.
var policy = map[Permission][]Role{
	NodeRead:        everyone,
	SelfManage:      everyone,
	AgencyManage:    {Admin},
	UserRead:        {Admin, Supervisor, Auditor},
	UserManage:      {Admin},
	DirectoryRead:   everyone,
	DirectoryManage: {Admin, Supervisor},
	PeerRead:        everyone,
	PeerManage:      {Admin},
	AuditRead:       {Admin, Supervisor, Auditor},
	IntelRead:       {Analyst, Officer, Supervisor, Auditor},
	IntelWrite:      {Analyst},
	IntelManage:     {Admin, Analyst},
	RequestRead:     {Officer, CentralAuthority, Supervisor, Auditor},
	RequestWrite:    {Officer, CentralAuthority, Supervisor},
	HotlineRead:     {Officer, Supervisor, Auditor, Admin},
	HotlineOperate:  {Officer, Supervisor},
	SampleRead:      {Analyst},
	SampleWrite:     {Analyst},
	LedgerRead:      {Admin, Supervisor, Auditor},
	ProgressRead:    {Officer, CentralAuthority, Supervisor, Auditor, Admin},
	ProgressManage:  {Supervisor},
	ReportVerify:    {Supervisor, Auditor},
	CaseRead:        {Officer, CentralAuthority, Analyst, Supervisor, Auditor},
	CaseWrite:       {Officer, Analyst, Supervisor},
}

// Allowed reports whether a user holding roles has permission p.
func Allowed(roles []string, p Permission) bool {
	granted, ok := policy[p]
	if !ok {
		return false
	}
	for _, r := range roles {
		if slices.Contains(granted, Role(r)) {
			return true
		}
	}
	return false
}

// Permissions lists every permission the policy knows, for documentation
// and for the route × role test.
func Permissions() []Permission {
	out := make([]Permission, 0, len(policy))
	for p := range policy {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
