import Dispatch
import Foundation
import Synchronization

/// Turns SIGTERM, SIGINT and SIGUSR1 into a cooperative stop.
///
/// Slurm sends SIGTERM at the time limit (and SIGUSR1 earlier with
/// `--signal=B:USR1@…`, which the batch script forwards); Ctrl-C sends SIGINT.
/// The first such signal sets `stop`: the scan stops handing out work, drops
/// unfinished tiles, writes what is finished and exits with status 128 +
/// signal number (130 for SIGINT, 138 for SIGUSR1, 143 for SIGTERM), leaving a
/// file that `--resume` completes.
///
/// Launchers deliver the same stop signal more than once (Slurm signals every
/// task of the step *and* the batch script forwards its warning through
/// `mpirun`), so a repeat of the first SIGTERM or SIGUSR1 is ignored: the
/// ranks keep finishing cleanly instead of exiting before rank 0 has written
/// the file. A second Ctrl-C (SIGINT) or a different signal exits at once with
/// 128 + the first signal (the result file is safe to interrupt at any moment;
/// Slurm's SIGKILL after `KillWait` is the final word anyway).
public final class StopSignals {
    public let stop: StopFlag
    private let record = SignalRecord()
    private let sources: [DispatchSourceSignal]

    public static let handled: [Int32] = [SIGTERM, SIGINT, SIGUSR1]

    public init(stop: StopFlag = StopFlag()) {
        self.stop = stop
        let queue = DispatchQueue(label: "diodescan.signals")
        var sources: [DispatchSourceSignal] = []
        let record = self.record
        for signalNumber in StopSignals.handled {
            signal(signalNumber, SIG_IGN)   // the dispatch source sees it; the default action must not kill us
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                let first = record.first.compareExchange(expected: 0, desired: signalNumber, ordering: .acquiringAndReleasing)
                if first.exchanged {
                    stop.set()
                } else if StopSignals.exitsAtOnce(repeating: first.original, with: signalNumber) {
                    _exit(128 + first.original)
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    deinit {
        for source in sources { source.cancel() }
    }

    /// Whether `next`, arriving after the stop signal `first`, ends the
    /// process at once: a second Ctrl-C or a different signal does; a
    /// launcher's duplicate of the first SIGTERM or SIGUSR1 does not.
    public static func exitsAtOnce(repeating first: Int32, with next: Int32) -> Bool {
        next != first || next == SIGINT
    }

    /// The first signal received, if any.
    public var receivedSignal: Int32? {
        let value = record.first.load(ordering: .acquiring)
        return value == 0 ? nil : value
    }

    /// 128 + the signal number of the first signal (e.g. 143 for SIGTERM), or nil.
    public var exitStatus: Int32? { receivedSignal.map { 128 + $0 } }

    public static func name(of signalNumber: Int32) -> String {
        switch signalNumber {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGUSR1: "SIGUSR1"
        default: "signal \(signalNumber)"
        }
    }
}

/// The first signal number received (0: none), shared with the handlers.
private final class SignalRecord: Sendable {
    let first = Atomic<Int32>(0)
}
