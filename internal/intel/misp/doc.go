// Package misp converts between MISP's event JSON (the MISP core format)
// and STIX 2.1, so that analysts who live in MISP can move data into and
// out of Liaison. The mapping follows MISP's own misp-stix converter where
// STIX allows it:
//
//   - an event becomes a report (published) or a grouping (not yet
//     published) whose id carries the event's uuid and which refers to
//     everything the event holds; its creator organisation an identity;
//   - an attribute with to_ids becomes an indicator whose STIX pattern
//     tests the value (ip-src/ip-dst, domain, hostname, url, email-*,
//     hashes, filename|hash, ip|port, domain|ip, mutex, AS, regkey,
//     x509 fingerprints; a stix2-pattern attribute carries its pattern);
//     without to_ids, observed-data with the cyber-observables; types
//     STIX has no object for travel losslessly as x-misp-attribute;
//   - file, domain-ip, ip-port, url and email objects become one indicator
//     (a combined pattern) or one observed-data; other templates travel as
//     x-misp-object;
//   - galaxy clusters (attack patterns, malware, tools, intrusion sets,
//     threat actors, courses of action) become the matching domain
//     objects, with a relationship from an attribute that names one;
//   - tlp:clear/white, green, amber, amber+strict and red tags become the
//     TLP 2.0 marking-definition references (an attribute without its own
//     TLP tag takes the event's); other tags become labels.
//
// Indicator patterns use the observable's own value path
// ([ipv4-addr:value = '...']) rather than misp-stix's network-traffic
// form, so that Liaison's indicator index matches them; the MISP type is
// kept in a misp:type label and restored on export. Every STIX object
// produced validates with stix.Parser and pattern.Parse. Errors name the
// event, the attribute's uuid and the field.
package misp
