import Dispatch
import Foundation
import Tuning

/// Ctrl-C and SIGTERM during `tune` and `autotune`: the runs in progress are marked
/// `interrupted` (their trials are already in the database), the user is told how to resume,
/// and the process exits 130 (SIGINT) or 143 (SIGTERM), as the shell reports a signal. The
/// trial worker ends by itself when its tuner is gone (WorkerLoop watches its parent).
enum InterruptHandler {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() {
        for signal in [SIGINT, SIGTERM] {
            // The default action would end the process before the handler runs.
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { interrupted(by: signal) }
            source.resume()
            sources.append(source)
        }
    }

    private static func interrupted(by signal: Int32) {
        let runs = ActiveRuns.interruptAll()
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        if runs.isEmpty {
            printToStderr("tunebench: interrupted (\(name))")
        } else {
            let listed = runs.map { "run \($0.runID) (\($0.layer))" }.joined(separator: ", ")
            printToStderr("tunebench: interrupted (\(name)): \(listed) marked interrupted with its trials kept; the same command resumes it")
        }
        exit(128 + signal)
    }
}
