package dev.authgate.server.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.LoggerFactory;

/**
 * How the operational log on stderr is written: {@code text} (a timestamp, level, logger and the
 * line, as logback.xml says) or {@code json} ({@link JsonLogEncoder}). Chosen once at start-up,
 * before the first connection.
 */
public enum LogFormat {
  TEXT,
  JSON;

  private static volatile LogFormat current = TEXT;

  /** logback.xml's text encoder while JSON is in use, to go back to (tests run both). */
  private static Encoder<ILoggingEvent> text;

  /** The format in use. */
  public static LogFormat current() {
    return current;
  }

  /**
   * Makes this the format of the stderr appender ({@code STDERR} in logback.xml). Without Logback
   * (another SLF4J binding on the class path) only {@link #current} changes.
   */
  public void apply() {
    synchronized (LogFormat.class) {
      current = this;
      if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)
          || !(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR")
              instanceof OutputStreamAppender<ILoggingEvent> stderr)) {
        return;
      }
      Encoder<ILoggingEvent> encoder;
      if (this == JSON && !(stderr.getEncoder() instanceof JsonLogEncoder)) {
        text = stderr.getEncoder();
        JsonLogEncoder json = new JsonLogEncoder();
        json.setContext(context);
        json.start();
        encoder = json;
      } else if (this == TEXT && text != null) {
        encoder = text;
        text = null;
      } else {
        return;
      }
      stderr.stop();
      stderr.setEncoder(encoder);
      stderr.start();
    }
  }
}
