import Foundation
import HardwareProbe
import MachineIdentity
import TunebenchCore
import TuningDatabase
import Workloads

// Generated hostile inputs for every parser tunebench has (ONNX protobuf, hwloc XML, JSON layer
// lists, Hugging Face configs, hardware profiles, tuning databases): mutations of valid files
// (truncations, flipped, inserted, deleted and repeated bytes, hostile numbers, 0xFF runs that
// read as huge protobuf lengths), deep nesting, empty and random files. Every input must be
// accepted or refused with a one-line error naming its file; a database must keep its bytes.
// A crash or hang ends this program (its last stderr line names the input); the test
// Tests/tunebenchTests/HostileInputTests.swift runs it and checks its exit status and summary.
//
// Usage: hostile-inputs REPOSITORY-ROOT [--per-seed N] [--seed S] [--keep DIR]

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

enum Format: String, CaseIterable {
    case onnx, hwlocXML = "hwloc-xml", layerList = "layer-list", huggingFace = "hf-config", profile, database
    var isText: Bool { self != .onnx && self != .database }
    var fileExtension: String {
        switch self {
        case .onnx: "onnx"
        case .hwlocXML: "xml"
        case .database: "sqlite"
        default: "json"
        }
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: hostile-inputs REPOSITORY-ROOT [--per-seed N] [--seed S] [--keep DIR]\n".utf8))
    exit(2)
}
func option(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
let root = URL(fileURLWithPath: arguments[1])
let perSeed = Int(option("--per-seed") ?? "") ?? 30
var random = SplitMix64(state: UInt64(option("--seed") ?? "") ?? 20261130)
let scratch = option("--keep") ?? FileManager.default.temporaryDirectory.appendingPathComponent("tunebench-hostile-\(getpid())").path
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { if option("--keep") == nil { try? FileManager.default.removeItem(atPath: scratch) } }

// MARK: - Seeds: valid inputs of each format

func file(_ relative: String) throws -> Data { try Data(contentsOf: root.appendingPathComponent(relative)) }

var seeds: [(Format, String, Data)] = []
for name in ["resnet-block", "mobilenet-block", "explicit-pads", "conv1d-decoder", "scaled-conv", "shufflenet-block", "unet-block", "tf-same-pads"] {
    seeds.append((.onnx, name, try file("Tests/Fixtures/onnx/\(name).onnx")))
}
seeds.append((.onnx, "alexnet-lrn", try file("Tests/Fixtures/onnx/alexnet-lrn.onnx")))
for name in ["synthetic-1pack-8core-smt2", "Intel-RaptorLake-Corei7-1370P", "32em64t-2n8c2t-pci-normalio"] {
    seeds.append((.hwlocXML, name, try file("Tests/Fixtures/hwloc/\(name).xml")))
}
seeds.append((.layerList, "example-layers", try file("examples/example-layers.json")))
seeds.append((.layerList, "fleet-layers", try file("examples/fleet-layers.json")))
seeds.append((.huggingFace, "llama-3-8b", try file("examples/llama-3-8b-config.json")))
let probed = try HardwareProbe.probe(topologyFile: root.appendingPathComponent("Tests/Fixtures/hwloc/synthetic-2pack-4numa-64pu.xml").path)
seeds.append((.profile, "synthetic-profile", try ProfileStore.encode(probed)))
seeds.append((.database, "tuning", try sampleDatabase()))

/// A small tuning database with a row in every table, as bytes (WAL checkpointed into the file).
func sampleDatabase() throws -> Data {
    let path = scratch + "/seed.sqlite"
    do {
        let database = try TuningDatabase(path: path)
        let provenance = Provenance(tunebenchVersion: "0.2.0", kernelLibraryVersion: "0.3.0", compiler: "Swift", buildFlags: "-O", gitCommit: "abc", host: "h")
        try database.save(profile: ProfileRecord(id: "aaaa", name: "machine", json: "{\"id\":\"aaaa\"}", addedAt: "2026-11-30T00:00:00.000Z"))
        try database.insert(run: RunRecord(id: "run-1", profileId: "aaaa", layer: "gemm m=32 n=64 k=64", kernel: "gemm", strategy: "random", seed: 7,
                                           fixed: "threads=1", budgetTrials: 10, budgetSeconds: nil, startedAt: "2026-11-30T00:00:01.000Z", provenance: provenance))
        for seq in 0..<6 {
            var trial = TrialRecord(runId: "run-1", seq: seq, config: "gemm kc=\(64 * (seq + 1))", source: "random", status: .ok,
                                    measuredAt: "2026-11-30T00:00:02.000Z", wallSeconds: 0.1)
            trial.gflops = 10 + Double(seq)
            trial.medianSeconds = 1e-4
            try database.append(trial: trial)
        }
        try database.record(best: BestRecord(profileId: "aaaa", layer: "gemm m=32 n=64 k=64", kernelLibraryVersion: "0.3.0", kernel: "gemm",
                                             config: "gemm kc=128", medianSeconds: 1e-4, gflops: 15, rooflineFraction: 0.5, margin: 1.02,
                                             runnerUpConfig: nil, defaultConfig: "gemm kc=256", speedupOverDefault: nil, runId: "run-1",
                                             updatedAt: "2026-11-30T00:00:03.000Z"))
        try database.finish(runID: "run-1", at: "2026-11-30T00:00:04.000Z")
    }
    // Closed: SQLite checkpoints the WAL into the file when its last connection closes.
    for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    return try Data(contentsOf: URL(fileURLWithPath: path))
}

// MARK: - Mutations

let hostileNumbers = ["-1", "0", "1e308", "-1e308", "9223372036854775807", "-9223372036854775808", "18446744073709551616", "1.5", "NaN", "\"4096\"",
                      "null", "true", "99999999999999999999999", "2147483648", "1e-320"]

func mutate(_ data: Data, format: Format, random: inout SplitMix64) -> (String, Data) {
    var bytes = [UInt8](data)
    let count = max(bytes.count, 1)
    switch Int.random(in: 0..<(format.isText ? 10 : 8), using: &random) {
    case 0:
        let length = Int.random(in: 0..<count, using: &random)
        return ("truncated to \(length) bytes", Data(bytes.prefix(length)))
    case 1:
        let flips = Int.random(in: 1...8, using: &random)
        for _ in 0..<flips where !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random) }
        return ("\(flips) bytes flipped", Data(bytes))
    case 2:
        let position = Int.random(in: 0...bytes.count, using: &random)
        let chunk = (0..<Int.random(in: 1...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        bytes.insert(contentsOf: chunk, at: position)
        return ("\(chunk.count) random bytes inserted at \(position)", Data(bytes))
    case 3:
        let start = Int.random(in: 0..<count, using: &random)
        let end = min(bytes.count, start + Int.random(in: 1...256, using: &random))
        if start < end { bytes.removeSubrange(start..<end) }
        return ("bytes \(start)..<\(end) deleted", Data(bytes))
    case 4:
        let start = Int.random(in: 0..<count, using: &random)
        let end = min(bytes.count, start + Int.random(in: 1...512, using: &random))
        let chunk = start < end ? Array(bytes[start..<end]) : []
        let times = Int.random(in: 2...200, using: &random)
        bytes.insert(contentsOf: Array(repeating: chunk, count: times).flatMap { $0 }, at: end)
        return ("bytes \(start)..<\(end) repeated \(times) times", Data(bytes))
    case 5:
        // 0xFF runs: as protobuf, lengths and varints near 2^63; as text, invalid UTF-8.
        let position = Int.random(in: 0..<count, using: &random)
        let run = Int.random(in: 1...10, using: &random)
        for index in position..<min(bytes.count, position + run) { bytes[index] = 0xff }
        return ("\(run) bytes of 0xFF at \(position)", Data(bytes))
    case 6:
        return ("empty", Data())
    case 7:
        let length = Int.random(in: 1...4096, using: &random)
        return ("\(length) random bytes", Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }))
    case 8:
        // A number replaced by a hostile one.
        let text = String(decoding: bytes, as: UTF8.self)
        let numbers = text.ranges(of: /-?\d+(\.\d+)?/)
        guard !numbers.isEmpty else { return ("unchanged (no number)", data) }
        let range = numbers[Int.random(in: 0..<numbers.count, using: &random)]
        let value = hostileNumbers[Int.random(in: 0..<hostileNumbers.count, using: &random)]
        return ("\(text[range]) replaced by \(value)", Data(text.replacingCharacters(in: range, with: value).utf8))
    default:
        // Deep nesting where the format nests.
        let depth = [600, 5000, 100_000][Int.random(in: 0..<3, using: &random)]
        if format == .hwlocXML {
            let text = String(decoding: bytes, as: UTF8.self)
            guard let close = text.range(of: "</topology>") else { return ("unchanged", data) }
            let nested = String(repeating: "<object type=\"Misc\">", count: depth) + String(repeating: "</object>", count: depth)
            return ("\(depth) nested objects", Data(text.replacingCharacters(in: close, with: nested + "</topology>").utf8))
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let brace = text.lastIndex(of: "}") else { return ("unchanged", data) }
        let nested = ", \"deep\": " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        return ("\(depth) nested arrays", Data(text.replacingCharacters(in: brace..<brace, with: nested).utf8))
    }
}

// MARK: - Parsing one input

enum Verdict { case accepted, refused, bad(String) }

/// Parses `path` as `format`; a thrown error must be one line that names the file.
func parse(_ path: String, as format: Format) -> Verdict {
    do {
        switch format {
        case .onnx:
            _ = try ONNXImport.load(path: path)
            _ = try ONNXImport.plans(path: path)
        case .hwlocXML:
            _ = try HardwareProbe.probe(topologyFile: path)
        case .layerList:
            _ = try LayerList.load(path: path)
        case .huggingFace:
            _ = try HuggingFaceConfig.load(path: path, tokens: [1, 32])
        case .profile:
            _ = try ProfileStore.load(file: path)
        case .database:
            let database = try TuningDatabase(readingPath: path)
            _ = try database.dump()
            _ = try database.counts()
        }
        return .accepted
    } catch {
        let message = "\(error)"
        guard !message.contains("\n") else { return .bad("a multi-line error: \(message.prefix(400))") }
        guard message.contains(path) || message.contains((path as NSString).lastPathComponent) else {
            return .bad("an error that does not name the file: \(message.prefix(400))")
        }
        return .refused
    }
}

// MARK: - The run

struct Tally { var inputs = 0, accepted = 0, refused = 0 }
var tallies: [Format: Tally] = [:]
var failures: [String] = []
let started = Date()
for (format, name, seed) in seeds {
    // The seed itself must be accepted; then its mutations.
    for index in 0...perSeed {
        let (what, bytes) = index == 0 ? ("the valid seed", seed) : mutate(seed, format: format, random: &random)
        let path = "\(scratch)/\(name)-\(index).\(format.fileExtension)"
        FileManager.default.createFile(atPath: path, contents: bytes)
        // Named before parsing: a crash or hang leaves this as the last line.
        FileHandle.standardError.write(Data("\(format.rawValue) \(name) #\(index): \(what)\n".utf8))
        let verdict = parse(path, as: format)
        tallies[format, default: Tally()].inputs += 1
        switch verdict {
        case .accepted: tallies[format, default: Tally()].accepted += 1
        case .refused: tallies[format, default: Tally()].refused += 1
        case .bad(let why): failures.append("\(path) (\(what)): \(why)")
        }
        if index == 0, case .refused = verdict { failures.append("\(path): the valid seed was refused") }
        if format == .database, (try? Data(contentsOf: URL(fileURLWithPath: path))) != bytes {
            failures.append("\(path) (\(what)): the database file's bytes changed")
        }
        for suffix in ["", "-wal", "-shm", "-lease"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let peakMiB = Double(usage.ru_maxrss) / 1024
let total = tallies.values.reduce(0) { $0 + $1.inputs }
print("hostile inputs: \(total) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s, peak memory \(String(format: "%.0f", peakMiB)) MiB, \(failures.count) failures")
for format in Format.allCases {
    let tally = tallies[format] ?? Tally()
    print("  \(format.rawValue): \(tally.inputs) inputs, \(tally.accepted) accepted, \(tally.refused) refused with a one-line error naming the file")
}
for failure in failures { print("FAIL \(failure)") }
exit(failures.isEmpty ? 0 : 1)
