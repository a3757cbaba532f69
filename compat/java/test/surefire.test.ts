// The Surefire report reader on a report of the shape Surefire 3.5 writes: a pass, a failure, an
// error and a skipped test, with escaped messages.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { describeFailures, parseReport } from './helpers/surefire.ts'

const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="dev.runnel.compat.GroupTest" time="3.2" tests="4" errors="1" skipped="1" failures="1">
  <properties><property name="bootstrap" value="127.0.0.1:1"/></properties>
  <testcase name="passes" classname="dev.runnel.compat.GroupTest" time="1.5"/>
  <testcase name="fails()" classname="dev.runnel.compat.GroupTest" time="0.5">
    <failure message="expected: &lt;2&gt; but was: &lt;4&gt; &quot;x&quot; &amp; &#39;y&#39;" type="org.opentest4j.AssertionFailedError"><![CDATA[org.opentest4j.AssertionFailedError: expected
	at dev.runnel.compat.GroupTest.fails(GroupTest.java:10)]]></failure>
    <system-err><![CDATA[12:00:00.000 WARN something]]></system-err>
  </testcase>
  <testcase name="errs" classname="dev.runnel.compat.GroupTest" time="0.1">
    <error message="boom" type="java.util.concurrent.ExecutionException">trace</error>
  </testcase>
  <testcase name="skips" classname="dev.runnel.compat.GroupTest" time="0">
    <skipped type="org.opentest4j.TestAbortedException"><![CDATA[org.opentest4j.TestAbortedException: Assumption failed: known gap on runnel (x): y
	at dev.runnel.compat.GroupTest.skips(GroupTest.java:183)
]]></skipped>
  </testcase>
</testsuite>`

describe('surefire reports', () => {
  it('reads each test case with its outcome and message', () => {
    const cases = parseReport(REPORT)
    assert.deepEqual(
      cases.map((c) => [c.name, c.outcome, c.message]),
      [
        ['GroupTest#passes', 'passed', ''],
        ['GroupTest#fails()', 'failed', `expected: <2> but was: <4> "x" & 'y'`],
        ['GroupTest#errs', 'error', 'boom'],
        ['GroupTest#skips', 'skipped', 'Assumption failed: known gap on runnel (x): y'],
      ],
    )
    assert.equal(cases[0].seconds, 1.5)
  })

  it('lists the failures and errors by name, type and message', () => {
    assert.equal(
      describeFailures(parseReport(REPORT)),
      [
        `GroupTest#fails() FAILED: org.opentest4j.AssertionFailedError expected: <2> but was: <4> "x" & 'y'`,
        'GroupTest#errs ERROR: java.util.concurrent.ExecutionException boom',
      ].join('\n'),
    )
  })
})
