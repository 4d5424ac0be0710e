import Foundation
import Kernels

#if canImport(Glibc)
import Glibc
#endif

/// Runs the measurements in a child process (`tunebench worker`) so that a configuration that
/// crashes or hangs is recorded as failed instead of ending the search: the child is killed
/// after `timeout` seconds without an answer, and a new one is started for the next trial.
public final class WorkerProcess: TrialRunner {
    public let executable: String
    public let arguments: [String]
    /// Seconds one measurement may take (a race gets this per candidate).
    public let timeout: Double
    /// Worker processes started after the first (one per crash or hang).
    public var restarts: Int { max(0, starts - 1) }
    private var starts = 0

    private var process: Process?
    private var requestFD: Int32 = -1
    private var responseFD: Int32 = -1
    private var pending = Data()
    /// The worker's stderr: an unlinked temporary file, read back for the reason of a crash
    /// (Swift's "Fatal error: …" line) instead of flooding the tuner's stderr.
    private var errorLog: FileHandle?

    public init(executable: String, arguments: [String] = ["worker"], timeout: Double) {
        self.executable = executable
        self.arguments = arguments
        self.timeout = timeout
        // A worker that dies makes our next write fail with EPIPE; without this it would kill us.
        signal(SIGPIPE, SIG_IGN)
    }

    deinit { stop() }

    public func measure(_ problem: KernelProblem, limits: MachineSizes, config: KernelConfig, settings: TrialSettings) -> TrialOutcome {
        let request = WorkerRequest(operation: .measure, problem: problem, limits: limits, configs: [config], rounds: 0, settings: settings)
        switch exchange(request, timeout: timeout) {
        case .success(let response):
            return response.outcome ?? .failed(.crashed, response.error ?? "the worker answered without an outcome")
        case .failure(let failure):
            return failure.outcome(timeout: timeout)
        }
    }

    public func race(_ problem: KernelProblem, limits: MachineSizes, configs: [KernelConfig], rounds: Int,
                     settings: TrialSettings) throws -> RaceOutcome {
        let request = WorkerRequest(operation: .race, problem: problem, limits: limits, configs: configs, rounds: rounds, settings: settings)
        let limit = timeout * Double(max(1, configs.count))
        switch exchange(request, timeout: limit) {
        case .success(let response):
            guard let race = response.race else { throw WorkerProtocolError(message: "race failed: \(response.error ?? "no answer")") }
            return race
        case .failure(let failure):
            throw WorkerProtocolError(message: "race failed: \(failure.outcome(timeout: limit).message ?? "")")
        }
    }

    enum Failure: Error {
        case crashed(String)
        case timedOut

        func outcome(timeout: Double) -> TrialOutcome {
            switch self {
            case .crashed(let why): .failed(.crashed, why)
            case .timedOut: .failed(.timedOut, "no answer within \(String(format: "%.0f", timeout)) s; the worker was killed")
            }
        }
    }

    private func exchange(_ request: WorkerRequest, timeout: Double) -> Result<WorkerResponse, Failure> {
        do {
            try startIfNeeded()
            try send(JSONEncoder().encode(request) + Data("\n".utf8))
            let line = try receiveLine(deadline: Date().addingTimeInterval(timeout))
            return .success(try JSONDecoder().decode(WorkerResponse.self, from: line))
        } catch let failure as Failure {
            stop()
            return .failure(failure)
        } catch {
            stop()
            return .failure(.crashed("worker protocol error: \(error)"))
        }
    }

    private func startIfNeeded() throws {
        if let process, process.isRunning { return }
        stop()
        starts += 1
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = arguments
        // Its pid, so the worker ends with this process (WorkerLoop.watchParent); no backtraces
        // from crashing trials: the trial records the signal, and a 60-line backtrace per crash
        // flooded stderr past --quiet.
        child.environment = ProcessInfo.processInfo.environment.merging([WorkerLoop.parentVariable: "\(getpid())", "SWIFT_BACKTRACE": "enable=no"]) { $1 }
        let requests = Pipe()
        let responses = Pipe()
        child.standardInput = requests
        child.standardOutput = responses
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("tunebench-worker-\(getpid())-\(starts).err").path
        if FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forUpdatingAtPath: logPath) {
            unlink(logPath)
            child.standardError = log
            errorLog = log
        }
        do { try child.run() } catch { throw Failure.crashed("cannot start the worker \(executable): \(error)") }
        // Keep only our ends, so the child's death reads as end of file.
        try? requests.fileHandleForReading.close()
        try? responses.fileHandleForWriting.close()
        requestFD = dup(requests.fileHandleForWriting.fileDescriptor)
        responseFD = dup(responses.fileHandleForReading.fileDescriptor)
        try? requests.fileHandleForWriting.close()
        try? responses.fileHandleForReading.close()
        pending = Data()
        process = child
    }

    private func send(_ data: Data) throws {
        guard writeAll(data, to: requestFD) else { throw Failure.crashed(deathNote()) }
    }

    private func receiveLine(deadline: Date) throws -> Data {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                return Data(line)
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw Failure.timedOut }
            var poller = pollfd(fd: responseFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000) + 1)
            if ready < 0, errno != EINTR { throw Failure.crashed("poll failed: errno \(errno)") }
            guard ready > 0 else { continue }
            let count = read(responseFD, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure.crashed(deathNote())
            }
            if count == 0 { throw Failure.crashed(deathNote()) }
            pending.append(contentsOf: chunk[0..<count])
        }
    }

    /// How the worker ended, for the trial's message.
    private func deathNote() -> String {
        guard let process else { return "the worker is gone" }
        process.waitUntilExit()
        let said = lastWords().map { ": \($0)" } ?? ""
        switch process.terminationReason {
        case .uncaughtSignal: return "the worker was killed by signal \(process.terminationStatus) (\(String(cString: strsignal(process.terminationStatus))))\(said)"
        default: return "the worker exited with status \(process.terminationStatus)\(said)"
        }
    }

    /// What the dead worker said on stderr, in one line: Swift's "Fatal error: …" where there
    /// is one (a failed allocation, a trap's message), else its last line.
    private func lastWords() -> String? {
        guard let errorLog, (try? errorLog.seek(toOffset: 0)) != nil, let data = try? errorLog.readToEnd() else { return nil }
        let lines = String(decoding: data.suffix(1 << 16), as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let line = lines.first(where: { $0.contains("Fatal error") }) ?? lines.last(where: { !$0.isEmpty }) else { return nil }
        return String(line.prefix(300))
    }

    /// Kills the worker (if any) and releases the pipes.
    public func stop() {
        if requestFD >= 0 { close(requestFD) }
        if responseFD >= 0 { close(responseFD) }
        requestFD = -1
        responseFD = -1
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? errorLog?.close()
        errorLog = nil
        process = nil
    }
}
