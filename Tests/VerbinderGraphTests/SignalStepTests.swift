import Testing
@testable import VerbinderGraph

/// The steps a signal may take from each state (issue 18): the whole table, so a step added
/// to one state by mistake shows here.
@Suite struct SignalStepTests {
    @Test func everyStateAllowsExactlyItsSteps() {
        let expected: [SignalStatus: [SignalStep: SignalStatus]] = [
            .open: [.raise: .raised, .close: .closed, .withdraw: .withdrawn],
            .raised: [.answer: .answered, .close: .closed, .withdraw: .withdrawn],
            .answered: [.close: .closed, .withdraw: .withdrawn],
            .closed: [:],
            .withdrawn: [:],
        ]
        for status in SignalStatus.allCases {
            for step in SignalStep.allCases {
                #expect(status.after(step) == expected[status]?[step], "\(status) \(step)")
            }
        }
    }
}
