import Foundation
import HardwareProbe
import TunebenchCore

/// The worker process's main loop (`tunebench worker`): one JSON request per line on stdin,
/// one JSON response per line on stdout, until stdin closes (the tuner finished or died).
///
/// Test hook: `TUNEBENCH_WORKER_FAULT=crash:TEXT` (or `hang:TEXT`) makes the worker abort (or
/// stop answering) when asked to measure a configuration whose text contains TEXT, so the
/// isolation can be tested with a real crash and a real hang.
public enum WorkerLoop {
    public static func run() throws {
        watchParent()
        let runner = InProcessTrialRunner(topology: try HwlocTopology())
        let fault = ProcessInfo.processInfo.environment["TUNEBENCH_WORKER_FAULT"].flatMap(Fault.init(parsing:))
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        while let line = readLine() {
            var response = WorkerResponse()
            do {
                let request = try decoder.decode(WorkerRequest.self, from: Data(line.utf8))
                if let fault, request.configs.contains(where: { $0.description.contains(fault.match) }) { fault.trigger() }
                switch request.operation {
                case .measure:
                    guard let config = request.configs.first else { throw WorkerProtocolError(message: "measure needs a configuration") }
                    response.outcome = runner.measure(request.problem, limits: request.limits, config: config, settings: request.settings)
                case .race:
                    response.race = try runner.race(request.problem, limits: request.limits, configs: request.configs,
                                                    rounds: request.rounds, settings: request.settings)
                }
            } catch {
                response.error = "\(error)"
            }
            // A tuner gone (broken pipe) ends the worker quietly, not with FileHandle's `try!` backtrace.
            guard writeAll(try encoder.encode(response) + Data("\n".utf8), to: STDOUT_FILENO) else { exit(0) }
        }
    }

    /// Ends the worker when the tuner that started it is gone (killed, interrupted, crashed),
    /// even in the middle of a hung trial: the worker runs in its own process group, so a Ctrl-C
    /// or a kill of the tuner never reached it, and it ran on (issue 16). The tuner passes its
    /// pid; a thread compares it with the parent's five times a second.
    static func watchParent() {
        let parent = ProcessInfo.processInfo.environment[parentVariable].flatMap(Int32.init) ?? getppid()
        if getppid() != parent { exit(0) }
        let thread = Thread {
            while true {
                usleep(200_000)
                if getppid() != parent { _exit(0) }
            }
        }
        thread.start()
    }

    /// The environment variable that carries the tuner's pid to its worker.
    public static let parentVariable = "TUNEBENCH_WORKER_PARENT"


    struct Fault {
        var crash: Bool
        var match: String

        init?(parsing text: String) {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, ["crash", "hang"].contains(parts[0]) else { return nil }
            crash = parts[0] == "crash"
            match = parts[1]
        }

        func trigger() -> Never {
            if crash {
                // As a failed allocation or a trap says it, for the trial's message.
                FileHandle.standardError.write(Data("Fatal error: injected crash (TUNEBENCH_WORKER_FAULT)\n".utf8))
                abort()
            }
            while true { sleep(3600) }
        }
    }
}

struct WorkerProtocolError: TunebenchError {
    var message: String
    var description: String { message }
}
