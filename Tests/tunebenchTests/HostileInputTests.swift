import Foundation
import Testing

/// Runs the generated hostile-input program (Sources/hostile-inputs): over a thousand mutated,
/// truncated, deeply nested and huge-count files across every parser. A crash or hang there
/// fails this test with the input it was on; every input must be accepted or refused in one
/// line naming its file, databases keep their bytes, and the peak memory stays under 1 GiB.
@Suite("hostile inputs")
struct HostileInputTests {
    @Test("1000+ generated hostile inputs: no crash, no hang, one-line errors naming the file, databases untouched, under 1 GiB")
    func generatedInputs() throws {
        let program = CLITests.root.appendingPathComponent(".build/debug/hostile-inputs")
        try #require(FileManager.default.isExecutableFile(atPath: program.path), "build first: swift build")
        let folder = try CLITests.temporaryDirectory()
        let process = Process()
        process.executableURL = program
        let seed = Int.random(in: 1...1_000_000)
        process.arguments = [CLITests.root.path, "--per-seed", "60", "--seed", "\(seed)"]
        let output = Pipe()
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: folder + "/progress.txt", contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/progress.txt"))
        try process.run()
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // The progress lines name each input ("onnx cnn #12: …"); a crash's backtrace follows the last.
        let progress = (try? String(contentsOfFile: folder + "/progress.txt", encoding: .utf8)) ?? ""
        let lastInput = progress.split(separator: "\n").last { $0.contains(#/ #\d+: /#) } ?? ""
        let fatal = progress.split(separator: "\n").first { $0.contains("Fatal error") } ?? ""
        #expect(process.terminationReason == .exit && process.terminationStatus == 0,
                "seed \(seed): status \(process.terminationStatus) (\(process.terminationReason == .uncaughtSignal ? "signal" : "exit")), last input: \(lastInput) \(fatal)\n\(stdout)")
        let summary = try #require(stdout.firstMatch(of: /hostile inputs: (\d+) in [\d.]+ s, peak memory (\d+) MiB, (\d+) failures/), "\(stdout)")
        #expect(Int(summary.1)! >= 1000)
        #expect(Int(summary.2)! < 1024)
        #expect(Int(summary.3)! == 0, "\(stdout)")
        // Every parser took part, and refused most mutations (an accepting parser checks nothing).
        for format in ["onnx", "hwloc-xml", "layer-list", "hf-config", "profile", "database"] {
            let line = try #require(stdout.firstMatch(of: try Regex("  \(format): (\\d+) inputs, (\\d+) accepted, (\\d+) refused")), "\(format): \(stdout)")
            let (inputs, refused) = (Int(line.output[1].substring!)!, Int(line.output[3].substring!)!)
            #expect(inputs >= 60 && refused > inputs / 3, "\(format): \(line.output[0].substring ?? "")")
        }
    }
}
