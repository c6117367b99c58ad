@testable import DiodePhysics
import XCTest

/// The predictor of ``DiodeSolver/ConfigurationContinuation``.
final class ContinuationTests: XCTestCase {
    static func point(eps1: Double, eps3: Double = 48, lambda: Double = 0.5, deltaT: Double = 1)
        -> DiodeSolver.LinePoint {
        DiodeSolver.LinePoint(parameters: DeviceParameters(eps1: eps1, eps3: eps3, gamma1: 1, gamma3: 1,
                                                           lambda: lambda, screening: true),
                              deltaT: deltaT)
    }

    /// A state quadratic in the position along the line (log T_p too).
    static func state(_ s: Double) -> InternalState {
        InternalState(muP: 40 + 0.3 * s - 0.05 * s * s, tP: Double.exp(0.4 + 0.1 * s + 0.02 * s * s),
                      u: SIMD3(0.1 * s * s - 0.2, 0.5 * s, -0.03 * s * s + s))
    }

    func testQuadraticStatesAlongALineArePredictedExactly() {
        // A diagonal line in (ε1, ε3) with uneven steps, solved in order.
        var continuation = DiodeSolver.ConfigurationContinuation()
        let positions = [0.0, 0.5, 1.25]
        for s in positions { continuation.record(Self.state(s), at: Self.point(eps1: 40 + s, eps3: 48 - 2 * s)) }
        for target in [1.5, 2.0, 2.75] {
            let p = Self.point(eps1: 40 + target, eps3: 48 - 2 * target).parameters
            guard let predicted = continuation.predictedGuess(parameters: p, deltaT: 1) else {
                return XCTFail("no prediction at \(target)")
            }
            let exact = Self.state(target)
            XCTAssertEqual(predicted.muP, exact.muP, accuracy: 1e-12)
            XCTAssertEqual(predicted.tP, exact.tP, accuracy: 1e-12 * exact.tP)
            for alpha in 0..<3 { XCTAssertEqual(predicted.u[alpha], exact.u[alpha], accuracy: 1e-12) }
        }
        XCTAssertEqual(continuation.guess?.u, Self.state(1.25).u)
    }

    /// The predictor's order: a quartic state is extrapolated exactly from
    /// its last five points (and a quadratic one's prediction from three
    /// would miss it).
    func testQuarticStatesAlongALineArePredictedExactlyFromFivePoints() {
        func quartic(_ s: Double) -> InternalState {
            InternalState(muP: 40 + 0.01 * s * s * s * s, tP: Double.exp(0.2 - 0.01 * s * s * s),
                          u: SIMD3(0.02 * s * s * s * s - s, 0.1 * s * s * s, 0.3 - 0.01 * s * s * s * s))
        }
        var continuation = DiodeSolver.ConfigurationContinuation()
        for s in [0.0, 0.25, 0.5, 1.0, 1.5] { continuation.record(quartic(s), at: Self.point(eps1: 40 + s)) }
        let target = 2.0
        guard let predicted = continuation.predictedGuess(parameters: Self.point(eps1: 40 + target).parameters,
                                                          deltaT: 1) else {
            return XCTFail("no prediction")
        }
        let exact = quartic(target)
        XCTAssertEqual(predicted.muP, exact.muP, accuracy: 1e-11)
        XCTAssertEqual(predicted.tP, exact.tP, accuracy: 1e-11 * exact.tP)
        for alpha in 0..<3 { XCTAssertEqual(predicted.u[alpha], exact.u[alpha], accuracy: 1e-11) }
    }

    func testNoPredictionOffTheLineOrFromTooFewPoints() {
        var continuation = DiodeSolver.ConfigurationContinuation()
        continuation.record(Self.state(0), at: Self.point(eps1: 40))
        let ahead = Self.point(eps1: 40.5).parameters
        XCTAssertNil(continuation.predictedGuess(parameters: ahead, deltaT: 1), "one point")
        continuation.record(Self.state(0.25), at: Self.point(eps1: 40.25))
        XCTAssertNotNil(continuation.predictedGuess(parameters: ahead, deltaT: 1), "linear, one step ahead")
        XCTAssertNil(continuation.predictedGuess(parameters: Self.point(eps1: 40.5, eps3: 48.1).parameters,
                                                 deltaT: 1), "off the line")
        XCTAssertNil(continuation.predictedGuess(parameters: Self.point(eps1: 40.8).parameters, deltaT: 1),
                     "more than two steps ahead")
        XCTAssertNil(continuation.predictedGuess(parameters: Self.point(eps1: 40.1).parameters, deltaT: 1),
                     "backwards")
        XCTAssertNil(continuation.predictedGuess(parameters: Self.point(eps1: 40.5, lambda: 0.6).parameters,
                                                 deltaT: 1), "another device")
        XCTAssertNil(continuation.predictedGuess(parameters: ahead, deltaT: 2), "another ΔT")
        // A guess set by hand replaces the history.
        continuation.guess = Self.state(7)
        XCTAssertNil(continuation.predictedGuess(parameters: ahead, deltaT: 1))
        XCTAssertEqual(continuation.guess?.u, Self.state(7).u)
    }
}
