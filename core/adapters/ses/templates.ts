import type { Mail } from './mailer.ts';

/** reference: the sign-in this code is for, as the page that asked for it shows it (others' sign-ins mail codes too). */
export function codeMail(to: string, code: string, ttlMinutes: number, reference: string): Mail {
  return {
    to,
    subject: `[terning] 인증 코드 ${code} / Your verification code (${reference})`,
    text:
      `인증 코드: ${code} (로그인 ${reference})\n${ttlMinutes}분 동안 한 번만, 화면에 ${reference}(이)라고 보이는 로그인에서만 쓸 수 있습니다.\n\n` +
      `Your terning verification code is ${code}, for sign-in ${reference}. It works once, for ${ttlMinutes} minutes, on the page that shows ${reference}.\n`,
  };
}

export function winnerMail(to: string, eventName: string): Mail {
  return {
    to,
    subject: `[terning] 당첨을 축하합니다! / You won: ${eventName}`,
    text: `축하합니다! "${eventName}" 선착순 선물에 당첨되었습니다.\n\nCongratulations: you are one of the winners of "${eventName}".\n`,
  };
}
