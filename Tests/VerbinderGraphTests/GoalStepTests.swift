import Testing
@testable import VerbinderGraph

/// The steps a goal may take from each state (issue 18, point 2): the whole table, so a step
/// allowed from a concluded goal by mistake shows here.
@Suite struct GoalStepTests {
    @Test func onlyAnOpenGoalMoves() {
        let expected: [GoalState: [GoalStep: GoalState]] = [
            .open: [.progress: .open, .met: .met, .drop: .dropped],
            .met: [:],
            .dropped: [:],
        ]
        for state in GoalState.allCases {
            for step in GoalStep.allCases {
                #expect(state.after(step) == expected[state]?[step], "\(state) \(step)")
            }
        }
    }
}
