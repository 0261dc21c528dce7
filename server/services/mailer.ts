// Outgoing e-mail (invitations today). SMTP through nodemailer when SMTP_URL is set; otherwise
// nothing is sent and callers show the link instead. Sending is reported, never thrown: an e-mail
// that could not go out must not undo what it announces.
import nodemailer, { type Transporter } from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  /** True once the server accepted the mail; false when none is configured or sending failed. */
  send(mail: Mail): Promise<boolean>;
}

/** No SMTP server configured: nothing leaves, and callers show the link to whoever asked. */
export class NoMailer implements Mailer {
  async send(): Promise<boolean> {
    return false;
  }
}

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  /** @param onError told why a mail could not be sent (the caller only learns that it was not). */
  constructor(smtpUrl: string, private readonly from: string, private readonly onError: (error: unknown) => void) {
    this.transport = nodemailer.createTransport({
      url: smtpUrl,
      // nodemailer waits two minutes by default; an invitation request should not.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  async send(mail: Mail): Promise<boolean> {
    try {
      await this.transport.sendMail({ from: this.from, ...mail });
      return true;
    } catch (error) {
      // Without the address: logs never show e-mail addresses.
      this.onError(new Error('An e-mail could not be sent', { cause: error }));
      return false;
    }
  }
}

export function createMailer(smtpUrl: string | undefined, from: string, onError: (error: unknown) => void): Mailer {
  return smtpUrl ? new SmtpMailer(smtpUrl, from, onError) : new NoMailer();
}
