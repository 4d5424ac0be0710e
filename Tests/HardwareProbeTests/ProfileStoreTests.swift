import Foundation
import HardwareProbe
import Testing

@Suite("profile JSON")
struct ProfileStoreTests {
    static func sampleProfile() throws -> HardwareProfile {
        var profile = try HardwareProbe.probe(topologyFile: Fixtures.path("power8gpudistances.xml"))
        profile.roofline = Roofline(
            measuredAt: "2026-11-29T00:00:00Z", buildMarch: "native", vectorBits: 256, streamArrayBytes: 128 << 20,
            points: [RooflinePoint(threads: 1, peakGFLOPS: 91.25, copyGBps: 12.5, triadGBps: 14.125,
                                   cacheRead: [CacheReadBandwidth(level: "L3", bytesPerThread: 4 << 20, GBps: 55.5)])]
        )
        return profile
    }

    @Test("save and load give back an equal profile, and re-encoding is byte-identical")
    func roundTrip() throws {
        let profile = try Self.sampleProfile()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)").path
        let store = ProfileStore(directory: directory)
        let path = try store.save(profile)
        #expect(path == "\(directory)/\(profile.id).json")
        let loaded = try store.load(profile.id)
        #expect(loaded == profile)
        #expect(try ProfileStore.encode(loaded) == ProfileStore.encode(profile))
    }

    @Test("the live profile round-trips too")
    func liveRoundTrip() throws {
        let profile = try HardwareProbe.probeLiveMachine()
        let decoded = try ProfileStore.decode(ProfileStore.encode(profile), file: "memory")
        #expect(decoded == profile)
    }

    @Test("the JSON carries the schema version")
    func schemaVersionWritten() throws {
        let json = try JSONSerialization.jsonObject(with: ProfileStore.encode(Self.sampleProfile())) as? [String: Any]
        #expect(json?["schemaVersion"] as? Int == HardwareProfile.currentSchemaVersion)
    }

    static func expectError(_ code: ProbeError.Code, mentioning fragments: [String], _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(code)")
        } catch let error as ProbeError {
            #expect(error.code == code)
            for fragment in fragments { #expect(error.message.contains(fragment), "\(error.message)") }
            #expect(!error.message.contains("\n"), "one line: \(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("an unknown schema version is refused by name")
    func unknownSchema() throws {
        var text = String(decoding: try ProfileStore.encode(Self.sampleProfile()), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"schemaVersion\" : 1", with: "\"schemaVersion\" : 99")
        let path = try Fixtures.temporaryFile("future.json", contents: text)
        Self.expectError(.profileSchemaUnsupported, mentioning: [path, "schema version 99"]) {
            _ = try ProfileStore.load(file: path)
        }
    }

    @Test("a missing, garbled or incomplete profile gives a one-line error naming the file")
    func badProfiles() throws {
        Self.expectError(.profileNotFound, mentioning: ["/no/such/profile.json"]) {
            _ = try ProfileStore(directory: "/tmp").load("/no/such/profile.json")
        }
        let garbled = try Fixtures.temporaryFile("garbled.json", contents: "{\"schemaVersion\": 1, ")
        Self.expectError(.profileInvalid, mentioning: [garbled]) { _ = try ProfileStore.load(file: garbled) }
        let notProfile = try Fixtures.temporaryFile("array.json", contents: "[1, 2]")
        Self.expectError(.profileInvalid, mentioning: [notProfile]) { _ = try ProfileStore.load(file: notProfile) }
        let noVersion = try Fixtures.temporaryFile("noversion.json", contents: "{\"id\": \"x\"}")
        Self.expectError(.profileInvalid, mentioning: [noVersion, "schemaVersion"]) { _ = try ProfileStore.load(file: noVersion) }
        var text = String(decoding: try ProfileStore.encode(Self.sampleProfile()), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"cores\" :", with: "\"kores\" :")
        let missing = try Fixtures.temporaryFile("missing.json", contents: text)
        Self.expectError(.profileInvalid, mentioning: [missing, "cores"]) { _ = try ProfileStore.load(file: missing) }
        let directory = FileManager.default.temporaryDirectory.path
        Self.expectError(.profileUnreadable, mentioning: [directory]) { _ = try ProfileStore.load(file: directory) }
    }

    @Test("missing, garbled, empty and non-hwloc XML topologies give one-line errors naming the file")
    func badTopologies() throws {
        Self.expectError(.topologyFileMissing, mentioning: ["/no/such/topology.xml", "no such file"]) {
            _ = try HardwareProbe.probe(topologyFile: "/no/such/topology.xml")
        }
        let truncated = try Fixtures.temporaryFile("truncated.xml", contents: "<?xml version=\"1.0\"?>\n<topology version=\"2.0\">\n<object type=\"Machine\"")
        Self.expectError(.topologyFileInvalid, mentioning: [truncated, "line "]) {
            _ = try HardwareProbe.probe(topologyFile: truncated)
        }
        let garbage = try Fixtures.temporaryFile("garbage.xml", contents: "this is not XML\n")
        Self.expectError(.topologyFileInvalid, mentioning: [garbage, "line 1"]) {
            _ = try HardwareProbe.probe(topologyFile: garbage)
        }
        let empty = try Fixtures.temporaryFile("empty.xml", contents: "")
        Self.expectError(.topologyFileInvalid, mentioning: [empty, "empty"]) {
            _ = try HardwareProbe.probe(topologyFile: empty)
        }
        let other = try Fixtures.temporaryFile("other.xml", contents: "<catalog><book/></catalog>\n")
        Self.expectError(.topologyFileInvalid, mentioning: [other, "not an hwloc topology"]) {
            _ = try HardwareProbe.probe(topologyFile: other)
        }
        Self.expectError(.topologyFileInvalid, mentioning: ["directory"]) {
            _ = try HardwareProbe.probe(topologyFile: FileManager.default.temporaryDirectory.path)
        }
    }
}
